import * as tf from '@tensorflow/tfjs-core';
import { NonFiniteTensorError } from '../losses/validate';

/**
 * Thrown when a loss (or, with `nanGuard.grads`, a gradient; before a checkpoint, a weight; or an input a loss
 * function refused, such as NaN logits) is NaN or infinite: names the step, what went bad and the last good
 * checkpoint. Whatever meets the non-finite value first, `fit` stops with this error.
 */
export class NonFiniteLossError extends Error {
  /** 1-based number of the step that produced the value (steps completed before it: `step - 1`). */
  readonly step: number;
  readonly epoch: number;
  /** Names of the non-finite loss parts (or `grad:<param>` entries). */
  readonly parts: string[];
  /** All values of the step, finite or not. */
  readonly values: Record<string, number>;
  /** The last good checkpoint, if checkpointing was on. */
  readonly lastCheckpoint: string | undefined;

  /** What was non-finite: a loss part, a gradient, a weight, or an input a loss function refused (e.g. NaN logits). */
  readonly kind: 'loss' | 'gradients' | 'weights' | 'input';
  /** Whether it happened in a training step or in the evaluation after `step`. */
  readonly during: 'step' | 'evaluation';

  constructor(info: {
    step: number;
    epoch: number;
    parts: string[];
    values: Record<string, number>;
    lastCheckpoint?: string | undefined;
    note?: string;
    kind?: 'loss' | 'gradients' | 'weights' | 'input';
    during?: 'step' | 'evaluation';
    cause?: unknown;
  }) {
    const kind = info.kind ?? 'loss';
    const during = info.during ?? 'step';
    const shown = Object.entries(info.values)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const ckpt = info.lastCheckpoint ? `last good checkpoint: ${info.lastCheckpoint}` : 'no checkpoint was written (set runDir and checkpoint to keep one)';
    const what = kind === 'input' ? 'loss input' : kind;
    const when = during === 'evaluation' ? 'in the evaluation after' : kind === 'weights' ? 'after' : 'at';
    super(
      `Non-finite ${what} ${when} step ${info.step} (epoch ${info.epoch + 1}) in ${info.parts.join(', ')}` +
        (shown ? ` [${shown}]` : '') +
        `. Training stopped; ${ckpt}.` +
        (info.note ? ` ${info.note}` : ''),
      info.cause === undefined ? undefined : { cause: info.cause },
    );
    this.during = during;
    this.name = 'NonFiniteLossError';
    this.kind = kind;
    this.step = info.step;
    this.epoch = info.epoch;
    this.parts = info.parts;
    this.values = info.values;
    this.lastCheckpoint = info.lastCheckpoint;
  }
}

/** Names of the entries that are NaN or ±Infinity. */
export function nonFiniteKeys(values: Record<string, number>): string[] {
  return Object.entries(values)
    .filter(([, v]) => !Number.isFinite(v))
    .map(([k]) => k);
}

/** Names of the tensors (gradients, weights) holding a NaN or infinite element (one device read; no leaks). */
export async function nonFiniteTensors(grads: Map<string, tf.Tensor>): Promise<string[]> {
  if (grads.size === 0) return [];
  const names = [...grads.keys()];
  const flags = tf.tidy(() => tf.stack(names.map((n) => tf.cast(tf.all(tf.isFinite(grads.get(n)!)), 'int32'))) as tf.Tensor1D);
  const ok = await flags.data();
  flags.dispose();
  return names.filter((_, i) => ok[i] !== 1);
}

/**
 * A loss function's refusal of a NaN input ({@link NonFiniteTensorError}, e.g. diverged logits reaching
 * `crossEntropy`) as the {@link NonFiniteLossError} the non-finite guards raise, with the step and the last good
 * checkpoint; any other error is returned as it is. The loss raises before the guard sees the loss value, so
 * without this a diverging run would stop with neither.
 */
export function asNonFiniteLossError(
  e: unknown,
  at: { step: number; epoch: number; lastCheckpoint: string | undefined; during: 'step' | 'evaluation'; note?: string },
): unknown {
  if (!(e instanceof NonFiniteTensorError)) return e;
  return new NonFiniteLossError({
    kind: 'input',
    step: at.step,
    epoch: at.epoch,
    parts: [`${e.fn}(${e.arg})`],
    values: {},
    lastCheckpoint: at.lastCheckpoint,
    during: at.during,
    note: `${e.message}.${at.note ? ` ${at.note}` : ''}`,
    cause: e,
  });
}
