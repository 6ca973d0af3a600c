// Entry of one data-parallel worker thread: its own tfjs instance and backend, one replica of the task.
import { parentPort } from 'node:worker_threads';
import { installTfjsEsmHook } from '../kernels/tfjs-esm-hook';
import type { FromWorker, SharedSlots, ToWorker } from './protocol';
import type { ParallelTask } from './task';
import type { TensorContainer } from '@tensorflow/tfjs-core';

installTfjsEsmHook();
const tf = await import('@tensorflow/tfjs-core');
const { useBackend } = await import('../backend');
const { registerLelKernels } = await import('../kernels/register');
const { barrier, slotView, weightedAverage } = await import('./shared-slots');
const { float32View } = await import('./tensor-view');

const port = parentPort!;
let task: ParallelTask | undefined;
let shared: { spec: SharedSlots; control: Int32Array; slots: Float32Array[]; average: Float32Array } | undefined;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

function assignWeights(t: ParallelTask, weights: Float32Array[]): void {
  tf.tidy(() => weights.forEach((w, i) => t.params[i]!.assign(tf.tensor(w, t.params[i]!.shape))));
}

/**
 * Loss and gradients of one shard; gradients of params the loss does not reach are zeros. `write` gets a
 * view that is valid only during the call (no copy on wasm/cpu).
 */
async function shardGradients(t: ParallelTask, start: number, count: number, payload: unknown, write: (i: number, g: Float32Array | undefined) => void): Promise<number> {
  const { value, grads } = tf.variableGrads(() => t.loss({ start, count, payload }), t.params);
  try {
    for (const [i, p] of t.params.entries()) write(i, grads[p.name] ? await float32View(grads[p.name]!) : undefined);
    return (await value.data())[0]!;
  } finally {
    tf.dispose([value, grads as unknown as TensorContainer]);
  }
}

/**
 * One in-worker step: this shard's gradients into this worker's shared slot, a barrier, the fixed-order
 * weighted average of all slots (identical bits in every worker), then the task's own update.
 */
async function step(t: ParallelTask, msg: Extract<ToWorker, { type: 'step' }>): Promise<number> {
  if (!shared) throw new Error('worker: step before attach');
  if (!t.applyGradients) throw new Error('DataParallel.step: the task has no applyGradients(grads, update)');
  const mine = shared.slots[shared.spec.index]!;
  let loss = 0;
  let failure: unknown;
  try {
    if (msg.count > 0) {
      let off = 0;
      loss = await shardGradients(t, msg.start, msg.count, msg.payload, (i, g) => {
        const size = t.params[i]!.size;
        if (g) mine.set(g, off);
        else mine.fill(0, off, off + size);
        off += size;
      });
      if (!Number.isFinite(loss)) throw new Error(`non-finite loss ${loss} on examples [${msg.start}, ${msg.start + msg.count})`);
    } else {
      mine.fill(0);
    }
  } catch (e) {
    failure = e;
  }
  // Every worker must reach the barrier, even a failing one, or the others would wait forever.
  const anyFailed = barrier(shared.control, shared.spec.workers, failure !== undefined);
  if (failure !== undefined) throw failure;
  if (anyFailed) throw new Error('skipped: another worker failed this step (weights unchanged)');
  weightedAverage(shared.slots, msg.shardWeights, shared.average);
  let off = 0;
  const grads = t.params.map((p) => {
    const g = tf.tensor(shared!.average.subarray(off, off + p.size), p.shape, 'float32');
    off += p.size;
    return g;
  });
  try {
    t.applyGradients(grads, msg.update);
  } finally {
    tf.dispose(grads);
  }
  return loss;
}

port.on('message', async (msg: ToWorker) => {
  try {
    if (msg.type === 'init') {
      registerLelKernels();
      await useBackend((msg.spec.backend ?? 'wasm') as never);
      registerLelKernels();
      const mod = (await import(msg.spec.module)) as Record<string, (args: unknown) => ParallelTask | Promise<ParallelTask>>;
      const factory = mod[msg.spec.exportName];
      if (typeof factory !== 'function') throw new Error(`${msg.spec.module} has no export "${msg.spec.exportName}"`);
      task = await factory(msg.spec.args);
      post({ type: 'ready', shapes: task.params.map((p) => p.shape), backend: tf.getBackend(), canStep: typeof task.applyGradients === 'function' });
      return;
    }
    if (msg.type === 'attach') {
      const s = msg.shared;
      shared = { spec: s, control: new Int32Array(s.control), slots: Array.from({ length: s.workers }, (_, i) => slotView(s, i)), average: new Float32Array(s.total) };
      return;
    }
    if (msg.type === 'close') {
      port.close();
      return;
    }
    if (!task) throw new Error(`worker: ${msg.type} before init`);
    const t = task;
    try {
      if (msg.type === 'grad') {
        const t0 = performance.now();
        assignWeights(t, msg.weights);
        const out: Float32Array[] = [];
        const loss = await shardGradients(t, msg.start, msg.count, msg.payload, (i, g) => out.push(g ? g.slice() : new Float32Array(t.params[i]!.size)));
        post({ type: 'grad', id: msg.id, loss, grads: out, ms: performance.now() - t0 }, out.map((g) => g.buffer as ArrayBuffer));
      } else if (msg.type === 'step') {
        const t0 = performance.now();
        const loss = await step(t, msg);
        post({ type: 'stepped', id: msg.id, loss, ms: performance.now() - t0 });
      } else if (msg.type === 'getWeights') {
        const weights = (await Promise.all(t.params.map((p) => p.data()))).map((w) => Float32Array.from(w as ArrayLike<number>));
        post({ type: 'weights', id: msg.id, weights }, weights.map((w) => w.buffer as ArrayBuffer));
      } else if (msg.type === 'setWeights') {
        assignWeights(t, msg.weights);
        post({ type: 'done', id: msg.id });
      }
    } catch (e) {
      post({ type: 'error', id: msg.id, message: (e as Error).stack ?? String(e) });
    }
  } catch (e) {
    post({ type: 'error', message: (e as Error).stack ?? String(e) });
  }
});
