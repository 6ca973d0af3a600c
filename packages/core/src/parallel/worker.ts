// Entry of one data-parallel worker thread: its own tfjs instance and backend, one replica of the task.
import { parentPort } from 'node:worker_threads';
import { installTfjsEsmHook } from '../kernels/tfjs_esm_hook';
import type { FromWorker, ToWorker } from './protocol';
import type { ParallelTask } from './task';
import type { TensorContainer } from '@tensorflow/tfjs-core';

installTfjsEsmHook();
const tf = await import('@tensorflow/tfjs-core');
const { useBackend } = await import('../backend');
const { registerLelKernels } = await import('../kernels/register');

const port = parentPort!;
let task: ParallelTask | undefined;
const post = (m: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(m, transfer);

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
      post({ type: 'ready', shapes: task.params.map((p) => p.shape), backend: tf.getBackend() });
    } else if (msg.type === 'grad') {
      if (!task) throw new Error('worker: grad before init');
      const t0 = performance.now();
      const params = task.params;
      tf.tidy(() => msg.weights.forEach((w, i) => params[i]!.assign(tf.tensor(w, params[i]!.shape))));
      const t = task;
      const { value, grads } = tf.variableGrads(() => t.loss({ start: msg.start, count: msg.count, payload: msg.payload }), params);
      const out = params.map((p) => (grads[p.name] ? (grads[p.name]!.dataSync() as Float32Array).slice() : new Float32Array(p.size)));
      const loss = value.dataSync()[0]!;
      tf.dispose([value, grads as unknown as TensorContainer]);
      post({ type: 'grad', id: msg.id, loss, grads: out, ms: performance.now() - t0 }, out.map((g) => g.buffer as ArrayBuffer));
    } else if (msg.type === 'close') {
      port.close();
    }
  } catch (e) {
    post({ type: 'error', message: (e as Error).stack ?? String(e) });
  }
});
