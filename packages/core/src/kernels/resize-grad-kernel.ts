import * as tf from '@tensorflow/tfjs-core';
import { runJsKernel } from './js-kernel';
import { lelWebGPUKernelsEnabled } from './webgpu/overrides';

/** Fills `dx` (shape `xShape`) with the resize gradient of `dy` (shape `dyShape`). */
export type ResizeGradValues = (
  dy: Float32Array,
  xShape: number[],
  dyShape: number[],
  alignCorners: boolean,
  halfPixelCenters: boolean,
  dx: Float32Array,
) => void;

/** An optional faster path (e.g. LEL's SIMD module on wasm): returns the dx tensor, or undefined to decline. */
export type FastResizeGrad = (
  backend: unknown,
  images: tf.TensorInfo,
  dy: tf.TensorInfo,
  alignCorners: boolean,
  halfPixelCenters: boolean,
) => tf.TensorInfo | undefined;

/**
 * Whether LEL's resize-gradient kernel `lelKernelName` serves `backend` (the active one by default): registered for
 * it (wasm, cpu, webgpu) and, on webgpu, with LEL's webgpu kernels on. Elsewhere tfjs's own gradient runs, whose
 * kernels ignore halfPixelCenters.
 */
export function lelResizeGradActive(lelKernelName: string, backend: string = tf.getBackend()): boolean {
  return tf.getKernel(lelKernelName, backend) !== undefined && (backend !== 'webgpu' || lelWebGPUKernelsEnabled());
}

/**
 * A JS resize-gradient kernel registered under `lelKernelName` on wasm and cpu, and the gradient of the tfjs
 * resize op `forwardKernelName` routed to `lelKernelName` on every backend that has it (wasm, cpu, and webgpu
 * through LEL's WGSL kernel while LEL's webgpu kernels are on); tfjs's own gradient elsewhere. Shared by the
 * bilinear and nearest-neighbour fixes, which differ only in how they spread dy back.
 */
export function resizeGradKernel(lelKernelName: string, forwardKernelName: string, values: ResizeGradValues, fast?: FastResizeGrad) {
  const kernelFunc: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { images, dy } = inputs as { images: tf.TensorInfo; dy: tf.TensorInfo };
    const { alignCorners, halfPixelCenters } = attrs as unknown as { alignCorners?: boolean; halfPixelCenters?: boolean };
    const done = fast?.(backend, images, dy, !!alignCorners, !!halfPixelCenters);
    if (done) return done;
    return runJsKernel(backend, [dy], images.shape, 'float32', (out, dyv) =>
      values(dyv as Float32Array, images.shape, dy.shape, !!alignCorners, !!halfPixelCenters, out as Float32Array),
    );
  };
  const kernelConfigs: tf.KernelConfig[] = ['wasm', 'cpu'].map((backendName) => ({ kernelName: lelKernelName, backendName, kernelFunc }));
  const makeGradConfig = (original: tf.GradConfig | undefined): tf.GradConfig => ({
    kernelName: forwardKernelName,
    inputsToSave: ['images'],
    gradFunc: (dyIn, saved, attrs) => {
      const dy = dyIn as tf.Tensor;
      const backend = tf.getBackend();
      if (original && !lelResizeGradActive(lelKernelName, backend)) return original.gradFunc(dy, saved, attrs);
      const [images] = saved as [tf.Tensor4D];
      return { images: () => tf.engine().runKernel(lelKernelName, { images, dy }, attrs) as tf.Tensor };
    },
  });
  return { kernelConfigs, makeGradConfig };
}
