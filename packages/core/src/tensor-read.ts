import * as tf from '@tensorflow/tfjs-core';
import { settleDeviceChecks, type Values } from './device-checks';

/**
 * Reading tensors back to JavaScript, for every backend. LEL never reads synchronously (`dataSync`,
 * `arraySync`, `bufferSync`) outside tests: on webgpu in Node a synchronous read throws, and on every GPU
 * backend (webgpu, webgl, tfjs-node-gpu) it stalls the device queue until all queued work has finished.
 * The read functions here are asynchronous, and they first report the failed {@link deviceCheck}s.
 */

/** Values of `t` (a copy owned by the caller), after settling pending checks. `dispose` frees `t` once read. */
export async function readValues(t: tf.Tensor, options: { dispose?: boolean } = {}): Promise<Values> {
  await settleDeviceChecks();
  try {
    return ((await t.data()) as Values).slice();
  } finally {
    if (options.dispose) t.dispose();
  }
}

/** The single value of a one-element tensor, after settling pending checks. `dispose` frees `t` once read. */
export async function readScalar(t: tf.Tensor, options: { dispose?: boolean } = {}): Promise<number> {
  if (t.size !== 1) throw new Error(`readScalar: expected one element, got shape [${t.shape}]`);
  return (await readValues(t, options))[0]!;
}

/** Values of several tensors (read concurrently: one device round trip), after settling pending checks. */
export async function readAll(ts: readonly tf.Tensor[], options: { dispose?: boolean } = {}): Promise<Values[]> {
  await settleDeviceChecks();
  try {
    return (await Promise.all(ts.map((t) => t.data()))).map((v) => (v as Values).slice());
  } finally {
    if (options.dispose) tf.dispose([...ts]);
  }
}

/** `t` as nested arrays (`tensor.array()`), after settling pending checks. */
export async function readArray(t: tf.Tensor, options: { dispose?: boolean } = {}): Promise<unknown> {
  await settleDeviceChecks();
  try {
    return await t.array();
  } finally {
    if (options.dispose) t.dispose();
  }
}
