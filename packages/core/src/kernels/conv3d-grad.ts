import * as tf from '@tensorflow/tfjs-core';
import { runJsKernel } from './js-kernel';

/** LEL's Conv3D backprop kernels (wasm and cpu), used by the Conv3D gradient on wasm. */
export const CONV3D_BACKPROP_FILTER = 'LelConv3DBackpropFilter';
export const CONV3D_BACKPROP_INPUT = 'LelConv3DBackpropInput';

type Conv3DInfo = tf.backend_util.Conv3DInfo;

/** dW of an NDHWC conv3d (port of tfjs-cpu's correct loops; wasm's are wrong). */
export function conv3dFilterGradValues(x: Float32Array, dy: Float32Array, info: Conv3DInfo, dw: Float32Array): void {
  const { batchSize, inDepth, inHeight, inWidth, inChannels, outChannels, outDepth, outHeight, outWidth } = info;
  const { strideDepth: sd, strideHeight: sh, strideWidth: sw, filterDepth: fd, filterHeight: fh, filterWidth: fw } = info;
  const front = info.padInfo.front;
  const top = info.padInfo.top;
  const left = info.padInfo.left;
  const xS = [inDepth * inHeight * inWidth * inChannels, inHeight * inWidth * inChannels, inWidth * inChannels, inChannels];
  const yS = [outDepth * outHeight * outWidth * outChannels, outHeight * outWidth * outChannels, outWidth * outChannels, outChannels];
  for (let wF = 0; wF < fd; ++wF) {
    const yFMin = Math.max(0, Math.ceil((front - wF) / sd));
    const yFMax = Math.min(outDepth, (inDepth + front - wF) / sd);
    for (let wR = 0; wR < fh; ++wR) {
      const yRMin = Math.max(0, Math.ceil((top - wR) / sh));
      const yRMax = Math.min(outHeight, (inHeight + top - wR) / sh);
      for (let wC = 0; wC < fw; ++wC) {
        const yCMin = Math.max(0, Math.ceil((left - wC) / sw));
        const yCMax = Math.min(outWidth, (inWidth + left - wC) / sw);
        for (let d1 = 0; d1 < inChannels; ++d1) {
          const wOff = (((wF * fh + wR) * fw + wC) * inChannels + d1) * outChannels;
          for (let d2 = 0; d2 < outChannels; ++d2) {
            let dot = 0;
            for (let b = 0; b < batchSize; ++b) {
              for (let yF = yFMin; yF < yFMax; ++yF) {
                const xF = wF + yF * sd - front;
                for (let yR = yRMin; yR < yRMax; ++yR) {
                  const xR = wR + yR * sh - top;
                  for (let yC = yCMin; yC < yCMax; ++yC) {
                    const xC = wC + yC * sw - left;
                    dot += x[b * xS[0]! + xF * xS[1]! + xR * xS[2]! + xC * xS[3]! + d1]! * dy[b * yS[0]! + yF * yS[1]! + yR * yS[2]! + yC * yS[3]! + d2]!;
                  }
                }
              }
            }
            dw[wOff + d2] = dot;
          }
        }
      }
    }
  }
}

/** dx of an NDHWC conv3d (port of tfjs-cpu's loops). */
export function conv3dInputGradValues(dy: Float32Array, filter: Float32Array, info: Conv3DInfo, dx: Float32Array): void {
  const { batchSize, inDepth, inHeight, inWidth, inChannels, outChannels, outDepth, outHeight, outWidth } = info;
  const { strideDepth: sd, strideHeight: sh, strideWidth: sw, filterDepth: fd, filterHeight: fh, filterWidth: fw } = info;
  const frontPad = fd - 1 - info.padInfo.front;
  const topPad = fh - 1 - info.padInfo.top;
  const leftPad = fw - 1 - info.padInfo.left;
  const yS = [outDepth * outHeight * outWidth * outChannels, outHeight * outWidth * outChannels, outWidth * outChannels, outChannels];
  const fS = [fh * fw * inChannels * outChannels, fw * inChannels * outChannels, inChannels * outChannels, outChannels];
  let o = 0;
  for (let b = 0; b < batchSize; ++b) {
    for (let xF = 0; xF < inDepth; ++xF) {
      const xFCorner = xF - frontPad;
      const xFMin = Math.max(0, Math.ceil(xFCorner / sd));
      const yFMax = Math.min(outDepth, (fd + xFCorner) / sd);
      for (let xR = 0; xR < inHeight; ++xR) {
        const xRCorner = xR - topPad;
        const xRMin = Math.max(0, Math.ceil(xRCorner / sh));
        const yRMax = Math.min(outHeight, (fh + xRCorner) / sh);
        for (let xC = 0; xC < inWidth; ++xC) {
          const xCCorner = xC - leftPad;
          const xCMin = Math.max(0, Math.ceil(xCCorner / sw));
          const yCMax = Math.min(outWidth, (fw + xCCorner) / sw);
          for (let d1 = 0; d1 < inChannels; ++d1) {
            let dot = 0;
            for (let yF = xFMin; yF < yFMax; ++yF) {
              const wF = yF * sd - xFCorner;
              for (let yR = xRMin; yR < yRMax; ++yR) {
                const wR = yR * sh - xRCorner;
                for (let yC = xCMin; yC < yCMax; ++yC) {
                  const wC = yC * sw - xCCorner;
                  const dyOff = yS[0]! * b + yS[1]! * yF + yS[2]! * yR + yS[3]! * yC;
                  const fOff = fS[0]! * (fd - 1 - wF) + fS[1]! * (fh - 1 - wR) + fS[2]! * (fw - 1 - wC) + fS[3]! * d1;
                  for (let d2 = 0; d2 < outChannels; ++d2) dot += dy[dyOff + d2]! * filter[fOff + d2]!;
                }
              }
            }
            dx[o++] = dot;
          }
        }
      }
    }
  }
}

type Pad3 = 'valid' | 'same';
interface FilterAttrs {
  strides: [number, number, number] | number;
  pad: Pad3;
  filterShape: [number, number, number, number, number];
}
interface InputAttrs {
  strides: [number, number, number] | number;
  pad: Pad3;
  inputShape: [number, number, number, number, number];
}

const filterKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const a = attrs as unknown as FilterAttrs;
  const info = tf.backend_util.computeConv3DInfo(x.shape as FilterAttrs['filterShape'], a.filterShape, a.strides, 1, a.pad);
  return runJsKernel(backend, [x, dy], a.filterShape, 'float32', (out, xv, dyv) =>
    conv3dFilterGradValues(xv as Float32Array, dyv as Float32Array, info, out as Float32Array),
  );
};
const inputKernel: tf.KernelFunc = ({ inputs, backend, attrs }) => {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const a = attrs as unknown as InputAttrs;
  const info = tf.backend_util.computeConv3DInfo(a.inputShape, filter.shape as InputAttrs['inputShape'], a.strides, 1, a.pad);
  return runJsKernel(backend, [dy, filter], a.inputShape, 'float32', (out, dyv, fv) =>
    conv3dInputGradValues(dyv as Float32Array, fv as Float32Array, info, out as Float32Array),
  );
};

/** Kernel configs of the two Conv3D backprop kernels. */
export const conv3dKernelConfigs: tf.KernelConfig[] = ['wasm', 'cpu'].flatMap((backendName) => [
  { kernelName: CONV3D_BACKPROP_FILTER, backendName, kernelFunc: filterKernel },
  { kernelName: CONV3D_BACKPROP_INPUT, backendName, kernelFunc: inputKernel },
]);

/**
 * Conv3D gradient: on wasm through LEL's kernels (wasm's Conv3DBackprop*V2 are wrong for stride > 1 and,
 * as the tests found, for 'same' padding at stride 1 too); tfjs's gradient on other backends.
 */
export function makeConv3dGradConfig(original: tf.GradConfig | undefined): tf.GradConfig {
  return {
    kernelName: tf.Conv3D,
    inputsToSave: ['x', 'filter'],
    gradFunc: (dyIn, saved, attrs) => {
      const dy = dyIn as tf.Tensor;
      const a = attrs as unknown as tf.Conv3DAttrs;
      if (original && tf.getBackend() !== 'wasm') return original.gradFunc(dy, saved, attrs);
      const d = typeof a.dilations === 'number' ? [a.dilations] : a.dilations ?? [1];
      if (d.some((v) => v !== 1)) throw new Error('conv3d gradient: dilations > 1 are not supported');
      const [x, filter] = saved as [tf.Tensor5D, tf.Tensor5D];
      const eng = tf.engine();
      return {
        x: () => eng.runKernel(CONV3D_BACKPROP_INPUT, { dy, filter }, { strides: a.strides, pad: a.pad, inputShape: x.shape }) as tf.Tensor,
        filter: () => eng.runKernel(CONV3D_BACKPROP_FILTER, { x, dy }, { strides: a.strides, pad: a.pad, filterShape: filter.shape }) as tf.Tensor,
      };
    },
  };
}
