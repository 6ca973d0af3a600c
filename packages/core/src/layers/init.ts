import * as tf from '@tensorflow/tfjs-core';
import { globalRng, type Rng } from '../random/rng';

/**
 * An initialiser: a fresh float32 tensor of `shape`, drawn from `rng` (default {@link globalRng}) on the JS
 * side, so the values are seeded and identical on every backend.
 */
export type Initializer = (shape: number[], rng?: Rng) => tf.Tensor;

/** Non-linearities known to {@link calculateGain}, as `torch.nn.init.calculate_gain`. */
export type Nonlinearity = 'linear' | 'conv' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** Fan-in and fan-out of a weight. */
export interface Fans {
  fanIn: number;
  fanOut: number;
}

/**
 * Fans of a weight in LEL's layouts: dense `[in, out]`, conv `[kh, kw, in, out]` (generally `[...receptive, in, out]`).
 * PyTorch stores `[out, in, kh, kw]`; the fans are the same numbers: fanIn = in·kh·kw, fanOut = out·kh·kw.
 */
export function computeFans(shape: number[]): Fans {
  if (shape.length < 2) throw new Error(`computeFans: shape must have at least 2 dimensions ([in, out]), got [${shape}]`);
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return { fanIn: shape[shape.length - 2]! * receptive, fanOut: shape[shape.length - 1]! * receptive };
}

/** Recommended gain for a non-linearity (PyTorch's `calculate_gain`); `param` is leaky_relu's slope (default 0.01). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear':
    case 'conv':
    case 'sigmoid':
      return 1;
    case 'tanh':
      return 5 / 3;
    case 'relu':
      return Math.SQRT2;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope * slope));
    }
    case 'selu':
      return 3 / 4;
    default:
      throw new Error(`calculateGain: unknown nonlinearity "${String(nonlinearity)}"`);
  }
}

/** Options of the Kaiming (He) initialisers. */
export interface KaimingOptions {
  /** Negative slope of the rectifier after this layer (leaky_relu only). Default 0. */
  a?: number;
  /** Preserve the variance of the forward (`fanIn`, default) or backward (`fanOut`) pass. */
  mode?: 'fanIn' | 'fanOut';
  /** Default `leaky_relu` (PyTorch's default; with a = 0 it is ReLU's gain √2). */
  nonlinearity?: Nonlinearity;
  /** Override the fans computed from the shape (e.g. for grouped convs). */
  fans?: Fans;
  rng?: Rng;
}

function kaimingStd(shape: number[], o: KaimingOptions): number {
  const fans = o.fans ?? computeFans(shape);
  const fan = (o.mode ?? 'fanIn') === 'fanIn' ? fans.fanIn : fans.fanOut;
  if (!(fan > 0)) throw new Error(`kaiming init: fan must be positive, got ${fan} for shape [${shape}]`);
  return calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(fan);
}

/** Kaiming-normal: N(0, std²), std = gain/√fan (`torch.nn.init.kaiming_normal_`). */
export function kaimingNormal(shape: number[], options: KaimingOptions = {}): tf.Tensor {
  const std = kaimingStd(shape, options);
  return (options.rng ?? globalRng()).normalTensor(shape, 0, std);
}

/**
 * Kaiming-uniform: U(−b, b), b = gain·√(3/fan) (`torch.nn.init.kaiming_uniform_`). With `a: Math.sqrt(5)` this is
 * the default weight init of PyTorch's Linear and Conv2d (b = 1/√fanIn).
 */
export function kaimingUniform(shape: number[], options: KaimingOptions = {}): tf.Tensor {
  const bound = Math.sqrt(3) * kaimingStd(shape, options);
  return (options.rng ?? globalRng()).uniformTensor(shape, -bound, bound);
}

/** Options of the Xavier (Glorot) initialisers. */
export interface XavierOptions {
  gain?: number;
  fans?: Fans;
  rng?: Rng;
}

/** Xavier-uniform: U(−b, b), b = gain·√(6/(fanIn+fanOut)). */
export function xavierUniform(shape: number[], options: XavierOptions = {}): tf.Tensor {
  const { fanIn, fanOut } = options.fans ?? computeFans(shape);
  const bound = (options.gain ?? 1) * Math.sqrt(6 / (fanIn + fanOut));
  return (options.rng ?? globalRng()).uniformTensor(shape, -bound, bound);
}

/** Xavier-normal: N(0, std²), std = gain·√(2/(fanIn+fanOut)). */
export function xavierNormal(shape: number[], options: XavierOptions = {}): tf.Tensor {
  const { fanIn, fanOut } = options.fans ?? computeFans(shape);
  const std = (options.gain ?? 1) * Math.sqrt(2 / (fanIn + fanOut));
  return (options.rng ?? globalRng()).normalTensor(shape, 0, std);
}

/** Options of {@link truncatedNormal}. */
export interface TruncatedNormalOptions {
  /** Standard deviation before truncation. Default 0.02 (BERT's `initializer_range`). */
  std?: number;
  mean?: number;
  /** Truncate at mean ± `bound`·std (redraw outside). Default 2, as TensorFlow's `truncated_normal`. */
  bound?: number;
  rng?: Rng;
}

/** Normal N(mean, std²) redrawn outside mean ± 2·std (TF/BERT `truncated_normal_initializer`). */
export function truncatedNormal(shape: number[], options: TruncatedNormalOptions = {}): tf.Tensor {
  const std = options.std ?? 0.02;
  const mean = options.mean ?? 0;
  const bound = options.bound ?? 2;
  if (!(std > 0)) throw new Error(`truncatedNormal: std must be positive, got ${std}`);
  if (!(bound > 0)) throw new Error(`truncatedNormal: bound must be positive, got ${bound}`);
  const rng = options.rng ?? globalRng();
  const n = shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let z = rng.normal();
    while (Math.abs(z) > bound) z = rng.normal();
    out[i] = mean + std * z;
  }
  return tf.tensor(out, shape, 'float32');
}

/** Uniform U(lo, hi) from an Rng (PyTorch's default bias init uses ±1/√fanIn). */
export function uniformInit(shape: number[], lo: number, hi: number, rng?: Rng): tf.Tensor {
  return (rng ?? globalRng()).uniformTensor(shape, lo, hi);
}

/** Normal N(mean, std²) from an Rng (PyTorch's default Embedding init is N(0, 1)). */
export function normalInit(shape: number[], mean = 0, std = 1, rng?: Rng): tf.Tensor {
  return (rng ?? globalRng()).normalTensor(shape, mean, std);
}

/** All zeros (float32). */
export function zerosInit(shape: number[]): tf.Tensor {
  return tf.zeros(shape, 'float32');
}

/** All ones (float32). */
export function onesInit(shape: number[]): tf.Tensor {
  return tf.ones(shape, 'float32');
}
