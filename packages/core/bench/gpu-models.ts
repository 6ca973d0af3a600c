// The two reference models of issue 21 (shared/reference/webgpu-probe/models.mjs; torch_gpu.py defines the same
// in PyTorch), built from LEL's modules as a user would: with LEL's webgpu kernels on, they run LEL's fused
// paths (LayerNorm, softmax cross-entropy, Adam, the GEMM filter gradient); with them off, the same modules
// compose stock tfjs ops.
import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy } from '../src/losses/cross-entropy';
import { BatchNorm2d } from '../src/layers/batch-norm';
import { Conv2d } from '../src/layers/conv';
import { Embedding } from '../src/layers/embedding';
import { LayerNorm } from '../src/layers/layer-norm';
import { Linear } from '../src/layers/linear';
import { MultiHeadAttention } from '../src/layers/attention';
import { maxPool2d } from '../src/layers/pooling';
import { resizeBilinear } from '../src/layers/resize';
import { Module } from '../src/module/module';
import { Rng } from '../src/random/rng';

/** A model of the GPU benchmark: a module tree and the loss of one fixed batch. */
export interface GpuBenchModel {
  name: string;
  module: Module;
  loss: () => tf.Scalar;
  /** What torch_gpu.py calls the same configuration. */
  torchName: string;
  dispose: () => void;
}

class ConvBnRelu extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  constructor(cin: number, cout: number, rng: Rng) {
    super();
    this.conv = this.registerModule('conv', new Conv2d(cin, cout, 3, { padding: 1, bias: false, rng }));
    this.bn = this.registerModule('bn', new BatchNorm2d(cout));
  }
  forward(x: tf.Tensor): tf.Tensor4D {
    return tf.relu(this.bn.forward(this.conv.forward(x))) as tf.Tensor4D;
  }
}

/** Encoder–decoder: conv-BN-ReLU 32, 64, 64, 32, two max-pools, two bilinear ×2 with skips, 1×1 head (94k params). */
class SegNet extends Module {
  readonly c1: ConvBnRelu;
  readonly c2: ConvBnRelu;
  readonly c3: ConvBnRelu;
  readonly c4: ConvBnRelu;
  readonly head: Conv2d;
  constructor(classes: number, rng: Rng) {
    super();
    this.c1 = this.registerModule('c1', new ConvBnRelu(3, 32, rng));
    this.c2 = this.registerModule('c2', new ConvBnRelu(32, 64, rng));
    this.c3 = this.registerModule('c3', new ConvBnRelu(64, 64, rng));
    this.c4 = this.registerModule('c4', new ConvBnRelu(128, 32, rng));
    this.head = this.registerModule('head', new Conv2d(64, classes, 1, { rng }));
  }
  forward(x: tf.Tensor4D): tf.Tensor4D {
    const up = (h: tf.Tensor4D) => resizeBilinear(h, [h.shape[1] * 2, h.shape[2] * 2]);
    const e1 = this.c1.forward(x);
    const e2 = this.c2.forward(maxPool2d(e1, 2));
    const e3 = this.c3.forward(maxPool2d(e2, 2));
    const d1 = this.c4.forward(tf.concat([up(e3), e2], 3));
    return this.head.forward(tf.concat([up(d1), e1], 3));
  }
}

export function createSeg(batch: number, size: number, seed = 1): GpuBenchModel {
  const rng = new Rng(seed);
  const module = new SegNet(5, rng);
  const x = rng.uniformTensor([batch, size, size, 3]) as tf.Tensor4D;
  const y = tf.tidy(() => tf.cast(tf.floor(tf.mul(rng.uniformTensor([batch, size, size]), 5)), 'int32'));
  return {
    name: `seg-B${batch}-${size}`,
    torchName: `seg-B${batch}-${size}`,
    module,
    loss: () => crossEntropy(module.forward(x), y, { validate: false }) as tf.Scalar,
    dispose: () => {
      module.dispose();
      tf.dispose([x, y]);
    },
  };
}

class Block extends Module {
  readonly ln1: LayerNorm;
  readonly attn: MultiHeadAttention;
  readonly ln2: LayerNorm;
  readonly f1: Linear;
  readonly f2: Linear;
  constructor(d: number, heads: number, ffn: number, rng: Rng) {
    super();
    this.ln1 = this.registerModule('ln1', new LayerNorm(d));
    this.attn = this.registerModule('attn', new MultiHeadAttention(d, heads, { bias: false, rng }));
    this.ln2 = this.registerModule('ln2', new LayerNorm(d));
    this.f1 = this.registerModule('f1', new Linear(d, ffn, { rng }));
    this.f2 = this.registerModule('f2', new Linear(ffn, d, { rng }));
  }
  forward(x: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    const h = this.ln1.forward(x);
    const a = tf.add(x, this.attn.forward(h, h, h, { additiveMask: mask }));
    return tf.add(a, this.f2.forward(tf.relu(this.f1.forward(this.ln2.forward(a)))));
  }
}

/** Causal pre-LN transformer LM: token + position embeddings, L blocks (LN affine, q/k/v/o without bias), LM head. */
class TxLm extends Module {
  readonly tok: Embedding;
  readonly blocks: Block[];
  readonly lnf: LayerNorm;
  readonly out: Linear;
  readonly pos;
  constructor(vocab: number, seq: number, d: number, heads: number, layers: number, ffn: number, rng: Rng) {
    super();
    this.tok = this.registerModule('tok', new Embedding(vocab, d, { rng }));
    this.pos = this.registerParameter('pos', tf.tidy(() => tf.mul(rng.normalTensor([seq, d]), 1 / Math.sqrt(d))));
    this.blocks = Array.from({ length: layers }, (_, i) => this.registerModule(`l${i}`, new Block(d, heads, ffn, rng)));
    this.lnf = this.registerModule('lnf', new LayerNorm(d));
    this.out = this.registerModule('out', new Linear(d, vocab, { bias: false, rng }));
  }
  forward(tokens: tf.Tensor, mask: tf.Tensor): tf.Tensor {
    let x = tf.add(this.tok.forward(tokens), this.pos.variable);
    for (const b of this.blocks) x = b.forward(x, mask);
    return this.out.forward(this.lnf.forward(x));
  }
}

export function createTx(o: { batch: number; seq: number; d: number; heads: number; layers: number; ffn: number; vocab: number }, seed = 3): GpuBenchModel {
  const rng = new Rng(seed);
  const module = new TxLm(o.vocab, o.seq, o.d, o.heads, o.layers, o.ffn, rng);
  const ints = (n: number) => tf.tidy(() => tf.cast(tf.floor(tf.mul(rng.uniformTensor([o.batch, n]), o.vocab)), 'int32'));
  const tokens = ints(o.seq);
  const targets = ints(o.seq);
  const mask = tf.tidy(() => tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([o.seq, o.seq]), -1, 0)), -1e9));
  const name = o.d === 128 ? `tx-B${o.batch}-T${o.seq}` : `tx-B${o.batch}-T${o.seq}-D${o.d}-L${o.layers}`;
  return {
    name,
    torchName: name,
    module,
    loss: () => crossEntropy(module.forward(tokens, mask), targets, { validate: false }) as tf.Scalar,
    dispose: () => {
      module.dispose();
      tf.dispose([tokens, targets, mask]);
    },
  };
}

/** The four configurations of issue 21, small ones first. */
export const GPU_BENCH_MODELS: Record<string, () => GpuBenchModel> = {
  'seg-B16-64': () => createSeg(16, 64),
  'tx-B16-T64': () => createTx({ batch: 16, seq: 64, d: 128, heads: 4, layers: 2, ffn: 512, vocab: 256 }),
  'seg-B32-256': () => createSeg(32, 256),
  'tx-B32-T128-D512-L4': () => createTx({ batch: 32, seq: 128, d: 512, heads: 8, layers: 4, ffn: 2048, vocab: 1024 }),
};
