// The two benchmark models of issue 2 / issue 15, written against raw tfjs ops (the same architecture is
// defined in PyTorch in torch_bench.py). Each factory returns trainable variables and a scalar loss of a
// fixed synthetic batch, plus the analytic FLOP count of one training step (forward + backward ≈ 3×
// the forward multiply-adds of convolutions and matMuls, each counted as 2 FLOPs).
import * as tf from '@tensorflow/tfjs-core';
import type { ParallelTask, Shard } from '../src/parallel/task';
import { BenchAdam } from './adam';

/** A benchmark model: its parameters, a loss over one (fixed) batch shard, and its step cost. */
export interface BenchModel {
  name: string;
  params: tf.Variable[];
  /** Loss of examples [start, start + count) of the fixed batch (all of it by default). */
  loss: (start?: number, count?: number) => tf.Scalar;
  batchSize: number;
  /** FLOPs of one training step at the full batch. */
  flopsPerStep: number;
  dispose: () => void;
}

let seedCounter = 0;
// tf.variable keeps its initial tensor alive (shared data): dispose it so only the variable remains.
function variable(t: tf.Tensor): tf.Variable {
  const v = tf.variable(t);
  t.dispose();
  return v;
}
function init(shape: number[], fanIn: number, seed: number): tf.Variable {
  return variable(tf.tidy(() => tf.mul(tf.randomNormal(shape, 0, 1, 'float32', seed + seedCounter++), Math.sqrt(2 / fanIn))));
}
const zeros = (shape: number[]) => variable(tf.zeros(shape));
const ones = (shape: number[]) => variable(tf.ones(shape));

/** Mean softmax cross-entropy over the last axis, integer labels. */
function crossEntropy(logits: tf.Tensor2D, labels: tf.Tensor1D, classes: number): tf.Scalar {
  const logp = tf.logSoftmax(logits);
  return tf.neg(tf.mean(tf.sum(tf.mul(logp, tf.oneHot(labels, classes)), -1)));
}

/**
 * Segmentation encoder–decoder: 16×64×64×3, conv3×3 (no bias) + BatchNorm (batch statistics) + ReLU with
 * 32, 64, 64, 32 channels, two 2×2 max-pools, two ×2 bilinear upsamplings (half-pixel, as PyTorch's
 * align_corners=False) with skip concatenations, 1×1 head to 5 classes; 93,733 parameters.
 */
export function createSegNet(seed = 1, batch = 16, size = 64): BenchModel {
  seedCounter = 0;
  const conv = (cin: number, cout: number) => ({ w: init([3, 3, cin, cout], 9 * cin, seed), g: ones([cout]), b: zeros([cout]) });
  const l1 = conv(3, 32);
  const l2 = conv(32, 64);
  const l3 = conv(64, 64);
  const l4 = conv(128, 32);
  const headW = init([1, 1, 64, 5], 64, seed);
  const headB = zeros([5]);
  const x = tf.randomUniform([batch, size, size, 3], 0, 1, 'float32', seed + 100);
  const y = tf.randomUniform([batch * size * size], 0, 5, 'int32', seed + 101) as tf.Tensor1D;
  const block = (h: tf.Tensor4D, l: { w: tf.Variable; g: tf.Variable; b: tf.Variable }) => {
    const c = tf.conv2d(h, l.w as tf.Tensor4D, 1, 'same');
    const { mean, variance } = tf.moments(c, [0, 1, 2]);
    return tf.relu(tf.batchNorm(c, mean, variance, l.b, l.g, 1e-5)) as tf.Tensor4D;
  };
  const up = (h: tf.Tensor4D) => tf.image.resizeBilinear(h, [h.shape[1] * 2, h.shape[2] * 2], false, true);
  const loss = (start = 0, count = batch) => {
    const xb = tf.slice(x, [start, 0, 0, 0], [count, -1, -1, -1]) as tf.Tensor4D;
    const yb = tf.slice(y, [start * size * size], [count * size * size]);
    const c1 = block(xb, l1);
    const c2 = block(tf.maxPool(c1, 2, 2, 'valid'), l2);
    const c3 = block(tf.maxPool(c2, 2, 2, 'valid'), l3);
    const c4 = block(tf.concat([up(c3), c2], 3), l4);
    const logits = tf.add(tf.conv2d(tf.concat([up(c4), c1], 3), headW as tf.Tensor4D, 1, 'valid'), headB);
    return crossEntropy(tf.reshape(logits, [-1, 5]), yb, 5);
  };
  const px = batch * size * size;
  const convFlops = 2 * 9 * (px * 3 * 32 + (px / 4) * 32 * 64 + (px / 16) * 64 * 64 + (px / 4) * 128 * 32) + 2 * px * 64 * 5;
  const params = [l1, l2, l3, l4].flatMap((l) => [l.w, l.g, l.b]).concat([headW, headB]);
  return {
    name: 'seg',
    params,
    loss,
    batchSize: batch,
    flopsPerStep: 3 * convFlops,
    dispose: () => tf.dispose([...params, x, y]),
  };
}

/**
 * Transformer LM: batch 16, sequence 64, d 128, 4 heads, 2 pre-LN layers, FFN 512 (ReLU), vocab 256, causal
 * LM loss, untied output head, LayerNorms without affine parameters; 469,504 parameters. Attention transposes K explicitly so every matMul is
 * flag-free (the fast XNNPACK path on wasm).
 */
export function createTransformer(seed = 1, batch = 16, seq = 64, d = 128, heads = 4, layers = 2, ffn = 512, vocab = 256): BenchModel {
  seedCounter = 0;
  const dh = d / heads;
  const emb = variable(tf.tidy(() => tf.mul(tf.randomNormal([vocab, d], 0, 1, 'float32', seed), 0.02)));
  const pos = variable(tf.tidy(() => tf.mul(tf.randomNormal([seq, d], 0, 1, 'float32', seed + 1), 0.02)));
  const L = Array.from({ length: layers }, () => ({
    wqkv: init([d, 3 * d], d, seed), bqkv: zeros([3 * d]),
    wo: init([d, d], d, seed), bo: zeros([d]),
    w1: init([d, ffn], d, seed), b1: zeros([ffn]),
    w2: init([ffn, d], ffn, seed), b2: zeros([d]),
  }));
  const head = init([d, vocab], d, seed);
  const headB = zeros([vocab]);
  const tokens = tf.randomUniform([batch, seq + 1], 0, vocab, 'int32', seed + 100);
  const maskBuf = new Float32Array(seq * seq);
  for (let i = 0; i < seq; i++) for (let j = i + 1; j < seq; j++) maskBuf[i * seq + j] = -1e9;
  const mask = tf.tensor2d(maskBuf, [seq, seq]);
  // LayerNorm without affine parameters (as the reference count of 469,504 implies).
  const ln = (h: tf.Tensor) => {
    const { mean, variance } = tf.moments(h, -1, true);
    return tf.mul(tf.sub(h, mean), tf.rsqrt(tf.add(variance, 1e-5)));
  };
  const loss = (start = 0, count = batch) => {
    const tok = tf.slice(tokens, [start, 0], [count, -1]);
    const inp = tf.slice(tok, [0, 0], [-1, seq]);
    const tgt = tf.reshape(tf.slice(tok, [0, 1], [-1, seq]), [-1]) as tf.Tensor1D;
    const t = count * seq;
    let h = tf.reshape(tf.add(tf.reshape(tf.gather(emb, tf.reshape(inp, [-1])), [count, seq, d]), pos), [t, d]);
    for (const l of L) {
      const qkv = tf.add(tf.matMul(ln(h), l.wqkv), l.bqkv);
      // [t, 3d] → [3, count, heads, seq, dh] in one transpose, then split.
      const split = tf.transpose(tf.reshape(qkv, [count, seq, 3, heads, dh]), [2, 0, 3, 1, 4]);
      const [q, k, v] = tf.unstack(tf.reshape(split, [3, count * heads, seq, dh]));
      const kT = tf.transpose(k!, [0, 2, 1]);
      const att = tf.softmax(tf.add(tf.mul(tf.matMul(q!, kT), 1 / Math.sqrt(dh)), mask));
      const o = tf.reshape(tf.transpose(tf.reshape(tf.matMul(att, v!), [count, heads, seq, dh]), [0, 2, 1, 3]), [t, d]);
      h = tf.add(h, tf.add(tf.matMul(o, l.wo), l.bo));
      const f = tf.relu(tf.add(tf.matMul(ln(h), l.w1), l.b1));
      h = tf.add(h, tf.add(tf.matMul(f, l.w2), l.b2));
    }
    const logits = tf.add(tf.matMul(ln(h), head), headB) as tf.Tensor2D;
    return crossEntropy(logits, tgt, vocab);
  };
  const t = batch * seq;
  const fwd = layers * (2 * t * d * 3 * d + 2 * t * d * d + 2 * 2 * batch * heads * seq * seq * dh + 2 * 2 * t * d * ffn) + 2 * t * d * vocab;
  const params = [emb, pos, ...L.flatMap((l) => Object.values(l)), head, headB];
  return {
    name: 'tx',
    params,
    loss,
    batchSize: batch,
    flopsPerStep: 3 * fwd,
    dispose: () => tf.dispose([...params, tokens, mask]),
  };
}

/** Models by name. */
export const MODELS: Record<string, (seed?: number, batch?: number) => BenchModel> = { seg: createSegNet, tx: createTransformer };

/** A benchmark model as a data-parallel task with its own Adam (the workers of bench/parallel.ts import this). */
export function createBenchTask(args: { model: string; seed?: number; batch?: number }): ParallelTask {
  const m = MODELS[args.model]!(args.seed ?? 1, args.batch ?? 16);
  const adam = new BenchAdam(m.params);
  return { params: m.params, loss: ({ start, count }: Shard) => m.loss(start, count), applyGradients: (grads) => adam.step(grads) };
}
