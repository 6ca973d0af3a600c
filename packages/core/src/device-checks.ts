import * as tf from '@tensorflow/tfjs-core';
import { isHostMemoryBackend } from './host-memory-backend';

/**
 * Checks of tensor values (labels in range, no NaN) that never read synchronously on a GPU backend: they are
 * computed on the device and reported by the next asynchronous read (see tensor-read.ts).
 */

/** A tensor's values as the backends return them. */
export type Values = Float32Array | Int32Array | Uint8Array;

interface PendingCheck {
  values: tf.Tensor;
  fail: (values: Values) => string | Error | undefined;
}

const pending: PendingCheck[] = [];

/**
 * Validate tensor values without a synchronous read. `make` computes a small tensor on the device (e.g.
 * `[anyBad, firstBadIndex, firstBadValue]`); `fail` turns its values into an error message, or undefined when
 * all is well. On cpu and wasm the check runs at once and throws here; on GPU backends it is queued and the
 * error is thrown by the next {@link settleDeviceChecks} (which every read helper of this module, and LEL's
 * training loop after each step, calls). Safe inside `tf.tidy`.
 */
export function deviceCheck(make: () => tf.Tensor, fail: (values: Values) => string | Error | undefined): void {
  const values = tf.tidy(make);
  // On a host-memory backend the check reads at once, throwing at the faulty call, with no queue to stall.
  if (isHostMemoryBackend()) {
    // The one synchronous read LEL allows: host-memory backends, where it costs a copy of a few numbers.
    // eslint-disable-next-line no-restricted-properties
    const v = values.dataSync() as Values;
    values.dispose();
    const message = fail(v);
    if (message) throw message instanceof Error ? message : new Error(message);
    return;
  }
  pending.push({ values: tf.keep(values), fail });
}

/**
 * Throw the first failed {@link deviceCheck} queued so far (all are read, in order, and released). Call it
 * where an error may surface: after a training step, before trusting a result.
 */
export async function settleDeviceChecks(): Promise<void> {
  const checks = pending.splice(0);
  let first: string | Error | undefined;
  for (const c of checks) {
    try {
      const message = c.fail((await c.values.data()) as Values);
      first ??= message;
    } finally {
      c.values.dispose();
    }
  }
  if (first !== undefined) throw first instanceof Error ? first : new Error(first);
}

/** Number of checks waiting for {@link settleDeviceChecks} (tests, leak accounting). */
export function pendingDeviceChecks(): number {
  return pending.length;
}

/**
 * Check that every int32 value of `t` is in [lo, hi) (or equals `except`); `describe(value, flatIndex)` words
 * the error for the first offending element.
 */
export function checkIntRange(t: tf.Tensor, lo: number, hi: number, describe: (value: number, index: number) => string, except?: number): void {
  if (t.size === 0) return;
  deviceCheck(
    () => {
      const flat = tf.reshape(t, [-1]);
      let bad = tf.logicalOr(tf.less(flat, lo), tf.greaterEqual(flat, hi));
      if (except !== undefined) bad = tf.logicalAnd(bad, tf.notEqual(flat, except));
      const badI = tf.cast(bad, 'int32');
      const at = tf.argMax(badI);
      return tf.concat([tf.reshape(tf.max(badI), [1]), tf.reshape(at, [1]), tf.reshape(tf.gather(flat, at), [1])]);
    },
    (v) => (v[0] ? describe(v[2]!, v[1]!) : undefined),
  );
}

/** Check that `x` holds no NaN; the error names the function, the argument and the shape. */
export function checkNoNaN(fn: string, arg: string, x: tf.Tensor): void {
  if (x.size === 0) return;
  deviceCheck(
    () => tf.cast(tf.any(tf.isNaN(x)), 'int32'),
    (v) => (v[0] ? `${fn}: ${arg} contains NaN (shape [${x.shape}])` : undefined),
  );
}
