import * as tf from '@tensorflow/tfjs-core';
import './register-gradients';
import { IM2COL_T } from '../kernels/im2col';
import { Module, type TensorModule } from '../module/module';
import type { Parameter } from '../module/parameter';
import type { Rng } from '../random/rng';
import { scoped } from '../scope';
import { kaimingUniform, uniformInit } from './init';
import { assertFloat, assertPositiveInt, assertRank, pair } from './validate';

/** Padding of a convolution: symmetric zero padding per side (PyTorch's `padding`), per axis `[ph, pw]`, `'same'` or `'valid'` (= 0). */
export type Conv2dPadding = number | readonly [number, number] | 'same' | 'valid';

/** Options of {@link conv2d}. */
export interface Conv2dOptions {
  stride?: number | readonly [number, number];
  /**
   * Zero padding on every side (PyTorch semantics, default 0). `'same'` keeps ceil(in/stride) outputs, padding
   * d·(k−1) in total with the odd pixel at the bottom/right (= PyTorch's `'same'` for stride 1; TF's rule otherwise).
   */
  padding?: Conv2dPadding;
  dilation?: number | readonly [number, number];
  groups?: number;
}

function resolvePadding(padding: Conv2dPadding, inSize: [number, number], k: [number, number], s: [number, number], d: [number, number]): [[number, number], [number, number]] {
  if (padding === 'same') {
    const out: [number, number][] = [0, 1].map((i) => {
      const outSize = Math.ceil(inSize[i]! / s[i]!);
      const total = Math.max((outSize - 1) * s[i]! + d[i]! * (k[i]! - 1) + 1 - inSize[i]!, 0);
      return [Math.floor(total / 2), total - Math.floor(total / 2)];
    });
    return [out[0]!, out[1]!];
  }
  if (padding === 'valid') return [[0, 0], [0, 0]];
  const [ph, pw] = pair('conv2d', 'padding', padding, true);
  return [
    [ph, ph],
    [pw, pw],
  ];
}

/** Insert `s − 1` zeros between rows (axis 1) and columns (axis 2) of NHWC `x` (inverse of a strided read). */
function zeroStuff(x: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  let y = x;
  const [n, h, w, c] = y.shape;
  if (sh > 1) {
    const t = tf.pad(tf.reshape(y, [n, h, 1, w * c]), [
      [0, 0],
      [0, 0],
      [0, sh - 1],
      [0, 0],
    ]);
    y = tf.slice(tf.reshape(t, [n, h * sh, w, c]) as tf.Tensor4D, [0, 0, 0, 0], [n, (h - 1) * sh + 1, w, c]);
  }
  if (sw > 1) {
    const h2 = y.shape[1];
    const t = tf.pad(tf.reshape(y, [n * h2, w, 1, c]), [
      [0, 0],
      [0, 0],
      [0, sw - 1],
      [0, 0],
    ]);
    y = tf.slice(tf.reshape(t, [n, h2, w * sw, c]) as tf.Tensor4D, [0, 0, 0, 0], [n, h2, (w - 1) * sw + 1, c]);
  }
  return y;
}

/**
 * Every s-th row and column of NHWC `y`, from index 0: a strided read built from pad/reshape/slice, which all
 * have gradients (tfjs has no StridedSlice gradient). The values are copied exactly.
 */
function subsample(y: tf.Tensor4D, sh: number, sw: number): tf.Tensor4D {
  const [n, h, w, c] = y.shape;
  const ho = Math.ceil(h / sh);
  const wo = Math.ceil(w / sw);
  const p = tf.pad(y, [
    [0, 0],
    [0, ho * sh - h],
    [0, wo * sw - w],
    [0, 0],
  ]);
  const rows = tf.slice(tf.reshape(p, [n, ho, sh, wo * sw * c]), [0, 0, 0, 0], [n, ho, 1, wo * sw * c]);
  const cols = tf.slice(tf.reshape(rows, [n * ho, wo, sw * c]), [0, 0, 0], [n * ho, wo, c]);
  return tf.reshape(cols, [n, ho, wo, c]);
}

/**
 * 'valid' convolution of already-padded NHWC input. Its gradient is the Conv2D gradient that
 * `registerLelKernels` installs (wasm Conv2DBackpropFilter, dilations > 1 on wasm and cpu), so layer and plain
 * `tf.conv2d` share one implementation. tfjs refuses stride > 1 together with dilation > 1: such convs run at
 * stride 1 and are subsampled.
 */
function convValid(xp: tf.Tensor4D, w: tf.Tensor4D, s: [number, number], d: [number, number]): tf.Tensor4D {
  const dilated = d[0] > 1 || d[1] > 1;
  // Kept: off wasm/cpu (tfjs-node) LEL's im2col kernel is missing, so the registered gradient throws for dilation > 1.
  if (dilated && !tf.getKernel(IM2COL_T, tf.getBackend())) return convValidOwnGrad(xp, w, s, d);
  if (dilated && (s[0] > 1 || s[1] > 1)) return subsample(tf.conv2d(xp, w, 1, 'valid', 'NHWC', d), s[0], s[1]);
  return tf.conv2d(xp, w, s, 'valid', 'NHWC', d);
}

/**
 * {@link convValid} with the layer's own gradient, for dilation > 1 on backends without LEL's im2col kernel:
 * dx = forward conv (dilation d) of the stride-zero-stuffed, fully padded dy with the flipped, in/out-swapped kernel;
 * dW = im2col(xp)ᵀ · dy (one matMul). Both use only forward kernels that are correct on every backend.
 */
function convValidOwnGrad(xp: tf.Tensor4D, w: tf.Tensor4D, s: [number, number], d: [number, number]): tf.Tensor4D {
  const f = tf.customGrad((...args: unknown[]) => {
    const [xIn, wIn, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([xIn, wIn]);
    let value: tf.Tensor4D;
    if ((s[0] > 1 || s[1] > 1) && (d[0] > 1 || d[1] > 1)) {
      // tfjs refuses stride > 1 together with dilation > 1: run stride 1 and subsample.
      const full = tf.conv2d(xIn, wIn, 1, 'valid', 'NHWC', d);
      const [n, fh, fw, co] = full.shape;
      value = tf.stridedSlice(full, [0, 0, 0, 0], [n, fh, fw, co], [1, s[0], s[1], 1]) as tf.Tensor4D;
    } else {
      value = tf.conv2d(xIn, wIn, s, 'valid', 'NHWC', d);
    }
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [x, k] = saved as [tf.Tensor4D, tf.Tensor4D];
      const dy4 = dy as tf.Tensor4D;
      const [n, hp, wp, ci] = x.shape;
      const [kh, kw, , co] = k.shape;
      const [, ho, wo] = dy4.shape;
      // dx
      const dz = zeroStuff(dy4, s[0], s[1]);
      const lh = dz.shape[1];
      const lw = dz.shape[2];
      const dzp = tf.pad(dz, [
        [0, 0],
        [d[0] * (kh - 1), hp - lh],
        [d[1] * (kw - 1), wp - lw],
        [0, 0],
      ]);
      const kFlip = tf.transpose(tf.reverse(k, [0, 1]), [0, 1, 3, 2]) as tf.Tensor4D;
      const dx = tf.conv2d(dzp, kFlip, 1, 'valid', 'NHWC', d);
      // dW = im2colᵀ·dy. The columns are built already transposed ([kh·kw·Ci, M], rows ordered (a, b, ci)) from
      // x transposed once to [Ci, N, Hp, Wp], so no large transpose is needed and matMul runs without transpose
      // flags (wasm's fast XNNPACK path, which packs only the small dy operand).
      const xT = tf.transpose(x, [3, 0, 1, 2]) as tf.Tensor4D;
      const m = n * ho * wo;
      const rows: tf.Tensor[] = [];
      for (let a = 0; a < kh; a++) {
        for (let b = 0; b < kw; b++) {
          const r0 = a * d[0];
          const c0 = b * d[1];
          const tap =
            s[0] === 1 && s[1] === 1
              ? tf.slice(xT, [0, 0, r0, c0], [ci, n, ho, wo])
              : tf.stridedSlice(xT, [0, 0, r0, c0], [ci, n, r0 + (ho - 1) * s[0] + 1, c0 + (wo - 1) * s[1] + 1], [1, 1, s[0], s[1]]);
          rows.push(tf.reshape(tap, [ci, m]));
        }
      }
      const colsT = (rows.length === 1 ? rows[0]! : tf.concat(rows, 0)) as tf.Tensor2D;
      const dw = tf.reshape(tf.matMul(colsT, tf.reshape(dy4, [m, co]) as tf.Tensor2D), [kh, kw, ci, co]);
      return [dx, dw];
    };
    return { value, gradFunc };
  });
  return f(xp, w) as tf.Tensor4D;
}

/**
 * Functional 2-D convolution (cross-correlation, as `F.conv2d`) on NHWC `x` `[N, H, W, Cin]` with kernel
 * `w` `[kh, kw, Cin/groups, Cout]` (PyTorch's `[Cout, Cin/groups, kh, kw]` permuted by (2, 3, 1, 0)) and optional
 * bias `[Cout]`. Explicit symmetric zero padding as PyTorch. Differentiable in x, w and b on every backend
 * (through LEL's registered Conv2D gradient); groups > 1 run as one conv per group (split + concat).
 */
export function conv2d(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | null = null, options: Conv2dOptions = {}): tf.Tensor4D {
  return scoped('conv2d', () => {
    assertRank('conv2d', 'x', x, 4, 'NHWC');
    assertRank('conv2d', 'weight', w, 4, '[kh, kw, in/groups, out]');
    assertFloat('conv2d', 'x', x);
    const groups = options.groups ?? 1;
    assertPositiveInt('conv2d', 'groups', groups);
    const s = pair('conv2d', 'stride', options.stride ?? 1);
    const d = pair('conv2d', 'dilation', options.dilation ?? 1);
    const [, h, wd, cin] = x.shape as [number, number, number, number];
    const [kh, kw, cinG, cout] = w.shape as [number, number, number, number];
    if (cin % groups !== 0 || cout % groups !== 0) {
      throw new Error(`conv2d: in channels (${cin}) and out channels (${cout}) must be divisible by groups (${groups})`);
    }
    if (cinG * groups !== cin) {
      throw new Error(`conv2d: weight has ${cinG} input channels per group but x has ${cin} channels and groups = ${groups} (expected ${cin / groups})`);
    }
    if (b && (b.rank !== 1 || b.shape[0] !== cout)) throw new Error(`conv2d: bias must be [${cout}], got shape [${b.shape}]`);
    const [[pt, pb], [pl, pr]] = resolvePadding(options.padding ?? 0, [h, wd], [kh, kw], s, d);
    const effH = d[0] * (kh - 1) + 1;
    const effW = d[1] * (kw - 1) + 1;
    if (h + pt + pb < effH || wd + pl + pr < effW) {
      throw new Error(`conv2d: padded input ${h + pt + pb}x${wd + pl + pr} is smaller than the dilated kernel ${effH}x${effW}`);
    }
    const padded = pt || pb || pl || pr;
    const dilatedStrided = (d[0] > 1 || d[1] > 1) && (s[0] > 1 || s[1] > 1);
    // On webgpu the convolution and both its gradients take explicit padding: no padded copy, no Pad/Slice dispatch.
    if (groups === 1 && padded && !dilatedStrided && tf.getBackend() === 'webgpu') {
      const y = tf.conv2d(x as tf.Tensor4D, w as tf.Tensor4D, s, [[0, 0], [pt, pb], [pl, pr], [0, 0]], 'NHWC', d);
      return b ? tf.add(y, b) : y;
    }
    const xp = (padded ? tf.pad(x, [[0, 0], [pt, pb], [pl, pr], [0, 0]]) : x) as tf.Tensor4D;
    let y: tf.Tensor4D;
    if (groups === 1) {
      y = convValid(xp, w as tf.Tensor4D, s, d);
    } else {
      const xs = tf.split(xp, groups, 3) as tf.Tensor4D[];
      const ws = tf.split(w, groups, 3);
      y = tf.concat(
        xs.map((xg, g) => convValid(xg, ws[g] as tf.Tensor4D, s, d)),
        3,
      );
    }
    return b ? tf.add(y, b) : y;
  });
}

/** Options of {@link Conv2d}. */
export interface Conv2dLayerOptions extends Conv2dOptions {
  bias?: boolean;
  rng?: Rng;
}

/**
 * `torch.nn.Conv2d` on NHWC. Parameters `weight` `[kh, kw, in/groups, out]` and `bias` `[out]`, initialised as
 * PyTorch (kaiming-uniform a = √5, i.e. U(±1/√fanIn), fanIn = in/groups·kh·kw; bias U(±1/√fanIn)).
 */
export class Conv2d extends Module implements TensorModule {
  readonly weight: Parameter;
  readonly bias: Parameter | null;
  readonly kernelSize: [number, number];
  private readonly opts: Conv2dOptions;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: number | readonly [number, number],
    options: Conv2dLayerOptions = {},
  ) {
    super();
    assertPositiveInt('Conv2d', 'inChannels', inChannels);
    assertPositiveInt('Conv2d', 'outChannels', outChannels);
    const groups = options.groups ?? 1;
    assertPositiveInt('Conv2d', 'groups', groups);
    if (inChannels % groups !== 0 || outChannels % groups !== 0) {
      throw new Error(`Conv2d: inChannels (${inChannels}) and outChannels (${outChannels}) must be divisible by groups (${groups})`);
    }
    this.kernelSize = pair('Conv2d', 'kernelSize', kernelSize);
    pair('Conv2d', 'stride', options.stride ?? 1);
    pair('Conv2d', 'dilation', options.dilation ?? 1);
    if (typeof options.padding === 'number' || Array.isArray(options.padding)) pair('Conv2d', 'padding', options.padding as number | [number, number], true);
    else if (options.padding !== undefined && options.padding !== 'same' && options.padding !== 'valid') {
      throw new Error(`Conv2d: padding must be a number, [ph, pw], 'same' or 'valid', got ${JSON.stringify(options.padding)}`);
    }
    this.opts = { stride: options.stride ?? 1, padding: options.padding ?? 0, dilation: options.dilation ?? 1, groups };
    const [kh, kw] = this.kernelSize;
    const shape = [kh, kw, inChannels / groups, outChannels];
    this.weight = this.registerParameter('weight', kaimingUniform(shape, { a: Math.sqrt(5), rng: options.rng }));
    const bound = 1 / Math.sqrt((inChannels / groups) * kh * kw);
    this.bias = options.bias ?? true ? this.registerParameter('bias', uniformInit([outChannels], -bound, bound, options.rng)) : null;
  }

  /** x `[N, H, W, in]` → `[N, H', W', out]`. */
  forward(x: tf.Tensor): tf.Tensor4D {
    return scoped('Conv2d', () => conv2d(x, this.weight.variable, this.bias?.variable ?? null, this.opts));
  }
}
