import type { WebGPUBackendLike } from './gpu-types';

/** Values the probe writes to the GPU and reads back synchronously. */
const PROBE = [1.5, -2.25, 3, 1024];

/** Why synchronous reads fail on this backend, or undefined where they return what is on the GPU. */
async function syncReadDefect(backend: WebGPUBackendLike): Promise<string | undefined> {
  if ((globalThis as { OffscreenCanvas?: unknown }).OffscreenCanvas === undefined) return 'tfjs-webgpu reads synchronously through OffscreenCanvas, which this environment (Node) does not have';
  const dataId = backend.write(new Float32Array(PROBE), [PROBE.length], 'float32');
  const warned = backend.hasReadSyncWarned;
  backend.hasReadSyncWarned = true; // the probe's read is not the user's: keep tfjs's one-time warning for theirs
  try {
    backend.uploadToGPU(dataId); // the values now live on the GPU only
    const got = Array.from(backend.readSync(dataId) as Float32Array);
    if (got.every((v, i) => v === PROBE[i])) return undefined;
    return `a synchronous read of [${PROBE.join(', ')}] written to this adapter returned [${got.join(', ')}] (tfjs-webgpu copies through an OffscreenCanvas, which this browser does not read back from this adapter)`;
  } catch (e) {
    return `a synchronous read failed: ${(e as Error).message}`;
  } finally {
    backend.hasReadSyncWarned = warned;
    backend.disposeData(dataId, true);
  }
}

/**
 * Makes tfjs-webgpu's synchronous reads (`dataSync`, `arraySync`, `bufferSync`, and kernels that read an input on
 * the host) throw a clear error where they cannot work, instead of a `ReferenceError` (Node: no OffscreenCanvas) or,
 * worse, zeros without any error: measured in headless Chromium on Dawn's SwiftShader adapter (2026-12-05), where
 * the playground's first CCT loss read 0.000 while `computeGradients` still read with `dataSync`. A probe writes
 * known values to the GPU and reads them back synchronously once; where they come back, sync reads are left as
 * they are (slow, but right). Values already on the host (a tensor not yet uploaded, or read before) are
 * returned either way.
 */
export async function guardSyncReads(backend: WebGPUBackendLike): Promise<void> {
  const defect = await syncReadDefect(backend);
  if (defect === undefined) return;
  const readSync = backend.readSync.bind(backend);
  backend.readSync = (dataId) => {
    const data = backend.tensorMap.get(dataId);
    if (data === undefined || data.values != null || data.dtype === 'string') return readSync(dataId);
    throw new Error(
      `WebGPU: synchronous read (dataSync/arraySync/bufferSync) of a ${data.dtype}[${data.shape.join(',')}] tensor is not available on this backend: ${defect}. ` +
        'Read it with `await t.data()` / `await t.array()` (or @lel/core readValues / readScalar).',
    );
  };
}
