import * as tf from '@tensorflow/tfjs-core';
// tfjs-core alone registers no gradients. Importing them here, before LEL's replacements, guarantees the
// stock set is evaluated first (an ES module runs once), so it can never overwrite LEL's gradients later.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { makeBatchMatMulGradConfig } from './batch-matmul-grad';
import { conv2dBackpropFilterWasmConfig } from './conv2d-backprop-filter';
import { makeConv2dGradConfig } from './conv2d-grad';
import { conv3dKernelConfigs, makeConv3dGradConfig } from './conv3d-grad';
import { depthToSpaceGradConfig } from './depth-to-space-grad';
import { depthwiseBackpropConfigs, makeDepthwiseGradConfig } from './depthwise-conv2d-backprop';
import { fusedBatchNormGradConfig } from './fused-batch-norm-grad';
import { adamUpdateKernelConfigs } from './adam-update';
import { im2colKernelConfigs } from './im2col';
import { makeMaxPoolGradConfig, maxPoolGradKernelConfigs } from './max-pool-grad';
import { makeResizeBilinearGradConfig, resizeBilinearGradKernelConfigs } from './resize-bilinear-grad';
import { makeResizeNearestGradConfig, resizeNearestGradKernelConfigs } from './resize-nearest-grad';
import { unsortedSegmentSumWasmConfig } from './unsorted-segment-sum';
import { applyWasmOverrides, removeWasmOverrides } from './wasm-overrides';
import { applyWebGPUOverrides, setWebGPUOverrides } from './webgpu/overrides';
import { adamUpdateGroupWebGPUConfig } from './webgpu/adam-update';
import { batchNormTrainGradConfig, batchNormWebGPUConfigs } from './webgpu/batch-norm';
import { layerNormGradConfig, layerNormWebGPUConfigs } from './webgpu/layer-norm';
import { resizeGradWebGPUConfigs } from './webgpu/resize-grad';
import { softmaxCrossEntropyGradConfig, softmaxCrossEntropyWebGPUConfigs } from './webgpu/softmax-cross-entropy';

/** What {@link registerLelKernels} installed. */
export interface LelKernelRegistry {
  /** Kernels registered as `kernelName@backend`. */
  kernels: string[];
  /** Kernels whose gradient LEL replaced or added. */
  gradients: string[];
}

let registered: LelKernelRegistry | undefined;
let ours: tf.GradConfig[] = [];
const originals = new Map<string, tf.GradConfig | undefined>();

/**
 * Install LEL's kernels and gradients into tfjs (idempotent; `@lel/core` calls it on import).
 *
 * Kernels: wasm Conv2DBackpropFilter, UnsortedSegmentSum and DepthwiseConv2dNativeBackprop{Filter,Input}
 * (missing in tfjs-wasm), and LEL-named
 * kernels (im2col, MaxPoolGrad, ResizeNearestNeighborGrad, Conv3D backprop) for wasm and cpu. The fixes
 * use their own kernel names, reached only through LEL's gradients, so importing a backend after this
 * call cannot overwrite them.
 *
 * Kernel wrappers (wasm, once its package is imported: call again after importing a backend; LEL's
 * gradients also re-check): BatchMatMul without slow transpose/batch paths, Transpose in tiled JavaScript
 * for large 2-D and rank ≥ 5.
 *
 * Gradients: Conv2D, BatchMatMul (fast paths on wasm; tfjs's own gradient elsewhere), MaxPool (wasm fix),
 * ResizeNearestNeighbor and ResizeBilinear (cpu, wasm and webgpu fixes: halfPixelCenters), Conv3D (wasm fix), FusedBatchNorm (no
 * Tile, identical values), DepthwiseConv2dNative (dilations > 1), DepthToSpace (new).
 */
export function registerLelKernels(): LelKernelRegistry {
  // Cheap and repeatable: wraps wasm's BatchMatMul/Transpose once the wasm backend has been imported.
  applyWasmOverrides();
  if (registered) {
    applyWebGPUOverrides();
    return registered;
  }
  const kernels: string[] = [];
  const configs = [conv2dBackpropFilterWasmConfig, unsortedSegmentSumWasmConfig, ...depthwiseBackpropConfigs, ...im2colKernelConfigs, ...maxPoolGradKernelConfigs, ...resizeNearestGradKernelConfigs, ...resizeBilinearGradKernelConfigs, ...conv3dKernelConfigs, ...adamUpdateKernelConfigs, adamUpdateGroupWebGPUConfig, ...layerNormWebGPUConfigs, ...softmaxCrossEntropyWebGPUConfigs, ...batchNormWebGPUConfigs, ...resizeGradWebGPUConfigs];
  for (const c of configs) {
    // A backend that ships its own kernel under a tfjs name keeps it.
    if (tf.getKernel(c.kernelName, c.backendName)) continue;
    tf.registerKernel(c);
    kernels.push(`${c.kernelName}@${c.backendName}`);
  }
  // The originals are captured before replacement: LEL's gradients fall back to them off wasm.
  const original = (name: string) => tf.getGradient(name);
  const gradients: tf.GradConfig[] = [
    makeConv2dGradConfig(original(tf.Conv2D)),
    makeBatchMatMulGradConfig(original(tf.BatchMatMul)),
    makeMaxPoolGradConfig(original(tf.MaxPool)),
    makeResizeNearestGradConfig(original(tf.ResizeNearestNeighbor)),
    makeResizeBilinearGradConfig(original(tf.ResizeBilinear)),
    makeConv3dGradConfig(original(tf.Conv3D)),
    makeDepthwiseGradConfig(original(tf.DepthwiseConv2dNative)),
    fusedBatchNormGradConfig,
    depthToSpaceGradConfig,
    layerNormGradConfig,
    softmaxCrossEntropyGradConfig,
    batchNormTrainGradConfig,
  ];
  for (const g of gradients) {
    originals.set(g.kernelName, original(g.kernelName));
    tf.registerGradient(g);
  }
  ours = gradients;
  registered = { kernels, gradients: gradients.map((g) => g.kernelName) };
  // tfjs-webgpu's kernels LEL replaces (once its package is imported; tryLoad calls this again after).
  applyWebGPUOverrides();
  return registered;
}

/**
 * @internal Benchmarks only: switch between LEL's gradients and wasm kernel wrappers (`true`) and tfjs's
 * stock ones (`false`) to measure before/after in one process. The kernels stay registered (stock wasm cannot train a conv net
 * without Conv2DBackpropFilter).
 */
export function setLelGradients(enabled: boolean): void {
  registerLelKernels();
  if (!enabled) removeWasmOverrides();
  setWebGPUOverrides(enabled);
  for (const g of ours) {
    const orig = originals.get(g.kernelName);
    if (enabled) tf.registerGradient(g);
    else if (orig) tf.registerGradient(orig);
    else tf.unregisterGradient(g.kernelName);
  }
}
