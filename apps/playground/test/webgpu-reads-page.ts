// Bundled by the browser test into the served build (webgpu-reads.html): @lel/core's initBackend forced to webgpu on
// the page's adapter, one computeGradients step of regression-case.ts, and synchronous reads of a tensor on the GPU
// and of one on the host. The results land on `window.webgpuReads`.
import * as tf from '@tensorflow/tfjs-core';
import { computeGradients, initBackend } from '@lel/core';
import { regressionCase } from './regression-case';

async function run(): Promise<Record<string, unknown>> {
  const info = await initBackend({ backend: 'webgpu', environment: 'page', loaders: { webgpu: () => import('@tensorflow/tfjs-backend-webgpu') }, log: () => {} });
  const { loss, params } = regressionCase();
  const g = await computeGradients(loss, params);
  const grads = Object.fromEntries(await Promise.all([...g.grads].map(async ([k, t]) => [k, Array.from(await t.data())] as const)));
  const onGpu = tf.mul(tf.range(0, 2048, 1, 'float32'), 2); // over tfjs-webgpu's CPU hand-off size: computed on the GPU
  let sync: { values: number[] } | { error: string };
  try {
    sync = { values: Array.from(onGpu.dataSync()) };
  } catch (e) {
    sync = { error: (e as Error).message };
  }
  const host = Array.from(tf.tensor1d([5, 6]).dataSync());
  return { backend: info.name, loss: g.loss, grads, sync, asyncAfter: Array.from(await onGpu.data()), host };
}

run().then(
  (r) => ((window as unknown as { webgpuReads: unknown }).webgpuReads = r),
  (e: unknown) => ((window as unknown as { webgpuReads: unknown }).webgpuReads = { error: String(e) }),
);
