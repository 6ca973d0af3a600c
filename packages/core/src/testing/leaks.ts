import * as tf from '@tensorflow/tfjs-core';
import { settleDeviceChecks } from '../device-checks';

/**
 * Run `fn` (sync or async) and throw if the number of live tensors changed, naming the difference.
 * Tensors returned by `fn` are disposed first when `disposeResult` is true; pending device checks are settled
 * (and their failures thrown) before counting.
 */
export async function expectNoLeaks<T>(fn: () => T | Promise<T>, options: { disposeResult?: boolean; label?: string } = {}): Promise<T> {
  const before = tf.memory().numTensors;
  const result = await fn();
  if (options.disposeResult) tf.dispose(result as unknown as tf.TensorContainer);
  // Device-side value checks queued by `fn` (GPU backends) hold tensors until settled.
  await settleDeviceChecks();
  const after = tf.memory().numTensors;
  if (after !== before) {
    throw new Error(`${options.label ?? 'expectNoLeaks'}: ${after - before} tensor(s) leaked (${before} before, ${after} after)`);
  }
  return result;
}

/**
 * Call `step` `n` times and assert that `tf.memory().numTensors` is the same after every call once the
 * first `warmup` calls have allocated their persistent state (optimiser slots, caches).
 */
export async function expectFlatMemory(step: (i: number) => unknown | Promise<unknown>, n = 20, warmup = 2): Promise<void> {
  let reference = -1;
  for (let i = 0; i < n; i++) {
    await step(i);
    const count = tf.memory().numTensors;
    if (i === warmup - 1 || (warmup === 0 && i === 0)) reference = count;
    else if (i >= warmup && count !== reference) {
      throw new Error(`expectFlatMemory: step ${i} has ${count} tensors, ${count - reference} more than after warm-up (${reference})`);
    }
  }
}

/**
 * `tf.tidy` for an async test body (e.g. one that awaits {@link gradCheck}): every tensor created while `fn`
 * runs, and not returned, is disposed when it settles. Tests only: tensors other code creates meanwhile
 * would be collected too.
 */
export async function tidyAsync<T extends tf.TensorContainer | void>(fn: () => Promise<T>): Promise<T> {
  const engine = tf.engine();
  engine.startScope('tidyAsync');
  let result: T | undefined;
  try {
    result = await fn();
    return result;
  } finally {
    engine.endScope(result as tf.TensorContainer);
  }
}
