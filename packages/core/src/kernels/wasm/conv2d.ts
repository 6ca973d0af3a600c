import * as tf from '@tensorflow/tfjs-core';
import { heapOffset, lelSimdFor } from '../simd/lel-simd';
import type { Stock, WasmBackend } from './backend';

/**
 * wasm Conv2D (NHWC, stride 1, no dilation, ≥ 16 input channels, output channels a multiple of 4) as LEL's
 * SIMD direct convolution over a zero-padded copy of the input: 1.15–1.3× XNNPACK here (no indirection
 * buffer or weight packing per call) and bit-identical to it (both sum over kernel rows, columns, then input
 * channels in float32; tested). Other convolutions (the first layer's 3 channels, strides) use XNNPACK.
 */
export function makeWasmConv2D(stock: Stock): Stock {
  return (args) => {
    const { x, filter } = args.inputs as { x: tf.TensorInfo; filter: tf.TensorInfo };
    const a = args.attrs as unknown as tf.Conv2DAttrs;
    const backend = args.backend as unknown as WasmBackend;
    const simd = lelSimdFor(backend);
    if (!simd || x.dtype !== 'float32' || filter.dtype !== 'float32' || a.dataFormat === 'NCHW' || x.shape.length !== 4) return stock(args);
    const [kh, kw, ci, co] = filter.shape as [number, number, number, number];
    if (ci < 16 || co % 4 !== 0 || kh * kw < 2) return stock(args);
    const info = tf.backend_util.computeConv2DInfo(x.shape as [number, number, number, number], filter.shape as [number, number, number, number], a.strides, a.dilations ?? 1, a.pad, a.dimRoundingMode);
    if (info.strideHeight !== 1 || info.strideWidth !== 1 || info.dilationHeight !== 1 || info.dilationWidth !== 1) return stock(args);
    const [n, h, w] = x.shape as [number, number, number, number];
    const { top, bottom, left, right } = info.padInfo;
    if (top < 0 || bottom < 0 || left < 0 || right < 0) return stock(args);
    const hp = h + top + bottom;
    const wp = w + left + right;
    if (hp - kh + 1 !== info.outHeight || wp - kw + 1 !== info.outWidth) return stock(args);
    const out = backend.makeOutput([n, info.outHeight, info.outWidth, co], 'float32');
    let padded: tf.TensorInfo | undefined;
    try {
      let xp = heapOffset(backend, x.dataId);
      if (top + bottom + left + right > 0) {
        padded = backend.makeOutput([n, hp, wp, ci], 'float32');
        (backend.typedArrayFromHeap(padded) as Float32Array).fill(0);
        const dst = heapOffset(backend, padded.dataId);
        for (let b = 0; b < n; b++) {
          simd.strided_copy(xp + b * h * w * ci * 4, dst + ((b * hp + top) * wp + left) * ci * 4, h, w * ci * 4, w * ci * 4, wp * ci * 4);
        }
        xp = dst;
      }
      simd.conv2d_s1(xp, n, hp, wp, ci, heapOffset(backend, filter.dataId), kh, kw, co, heapOffset(backend, out.dataId), info.outHeight, info.outWidth);
    } finally {
      if (padded) backend.disposeData(padded.dataId);
    }
    return out;
  };
}
