import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradient functions; tf.variableGrads needs them.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { scoped } from '../scope';
import { addMany } from './add-many';
import { readAll, readScalar } from '../tensor-read';
import type { NamedParameter } from './optimizer';

/** What a loss function for {@link computeGradients} returns: the loss, or its total and named parts. */
export type LossOutput = tf.Scalar | ({ total: tf.Scalar } & Record<string, tf.Scalar>);

/** Result of {@link computeGradients}. */
export interface ComputedGradients {
  /** The loss value (may be NaN or ±Infinity: the caller's guard decides what to do). */
  loss: number;
  /** Values of the named parts besides `total` (empty for a plain scalar loss). */
  parts: Record<string, number>;
  /** Gradients by hierarchical parameter name, for trainable parameters the loss depends on; caller disposes. */
  grads: Map<string, tf.Tensor>;
}

/**
 * Gradients of `lossFn` with respect to the trainable parameters among `params`, keyed by their
 * hierarchical names (tfjs's `variableGrads` keys them by engine variable names). Frozen parameters and
 * parameters the loss does not depend on get no entry. Every intermediate tensor is freed; the loss and its parts
 * are read back as numbers asynchronously (one device round trip), so it runs on every backend.
 */
export async function computeGradients(lossFn: () => LossOutput, params: NamedParameter[]): Promise<ComputedGradients> {
  const trainable = params.filter(([, p]) => p.trainable);
  if (trainable.length === 0) throw new Error('computeGradients: no trainable parameter among the given parameters');
  const nameOf = new Map<string, string>();
  for (const [name, p] of trainable) nameOf.set(p.variable.name, name);

  const vars = trainable.map(([, p]) => p.variable);
  let kept: Record<string, tf.Scalar> = {};
  // A malformed loss is reported after variableGrads returns: throwing inside it would leak the tensors
  // tfjs's tape saved for the backward pass. Until then a zero connected to the parameters stands in.
  let problem: string | undefined;
  const standIn = () => tf.mul(tf.sum(vars[0]!), 0) as tf.Scalar;
  const scalarOr = (t: unknown, what: string): tf.Scalar => {
    if (!(t instanceof tf.Tensor)) problem ??= `${what} is not a tensor`;
    else if (t.rank !== 0) problem ??= `${what} must be a scalar, got shape [${t.shape}]`;
    return problem === undefined ? (t as tf.Scalar) : standIn();
  };
  const result = tf.variableGrads(() => {
    const out = lossFn();
    if (out instanceof tf.Tensor) return scalarOr(out, 'the loss');
    if (typeof out !== 'object' || out === null || !('total' in out)) {
      problem = 'lossFn must return a scalar tensor or an object with a "total" scalar';
      return standIn();
    }
    kept = {};
    for (const [k, v] of Object.entries(out)) {
      // A part may be the very tensor returned as `total` (`{ total: ce, ce }`): keep a copy, since tfjs
      // hands `total` back as the result value and both would otherwise be disposed.
      if (k !== 'total' && v instanceof tf.Tensor && v.rank === 0) kept[k] = tf.keep(v === out.total ? v.clone() : v);
      else if (k !== 'total') scalarOr(v, `loss part "${k}"`);
    }
    return scalarOr(out.total, 'the loss "total"');
  }, vars);
  if (problem !== undefined) {
    tf.dispose([result.value, ...Object.values(result.grads), ...Object.values(kept)]);
    throw new Error(`computeGradients: ${problem}`);
  }

  const grads = new Map<string, tf.Tensor>();
  for (const [engineName, g] of Object.entries(result.grads)) {
    const name = nameOf.get(engineName);
    if (name === undefined) g.dispose();
    else grads.set(name, g);
  }
  const keys = Object.keys(kept);
  let values: ArrayLike<number>[];
  try {
    values = await readAll([result.value, ...keys.map((k) => kept[k]!)], { dispose: true });
  } catch (e) {
    tf.dispose([...grads.values()]);
    throw e;
  }
  const parts: Record<string, number> = {};
  keys.forEach((k, i) => (parts[k] = values[i + 1]![0]!));
  return { loss: values[0]![0]!, parts, grads };
}

/** Whether any gradient holds a NaN or ±Infinity (one asynchronous device read for the whole map). */
export async function hasNonFinite(grads: Map<string, tf.Tensor>): Promise<boolean> {
  if (grads.size === 0) return false;
  const flag = scoped('hasNonFinite', () =>
    addMany([...grads.values()].map((g) => tf.sum(tf.cast(tf.logicalNot(tf.isFinite(g)), 'int32')))),
  );
  return (await readScalar(flag, { dispose: true })) > 0;
}
