import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, globalRng, type Rng, type TensorModule } from '@lel/core';
import { bertConfig, type BertConfig } from './config';
import { BertEmbeddings } from './embeddings';
import { BertEncoder } from './layer';
import { childNamed } from './child-named';

/** Token ids and masks of a batch; int32 tensors [B, T]. */
export interface BertInputs {
  inputIds: tf.Tensor;
  /** 1 = attend, 0 = padding. Default all ones. */
  attentionMask?: tf.Tensor | null;
  /** Segment ids (0/1). Default all zeros. */
  tokenTypeIds?: tf.Tensor | null;
}

/** Outputs of {@link BertModel.forward}; the caller owns (and disposes) every tensor. */
export interface BertModelOutput {
  /** [B, T, hidden] (padded positions included). */
  lastHiddenState: tf.Tensor;
  /** tanh(W_p h[:, 0] + b_p), [B, hidden]; absent without a pooler. */
  poolerOutput: tf.Tensor | null;
  /** Embedding output then every layer's output, when `outputHiddenStates` was set. */
  hiddenStates?: tf.Tensor[];
}

/** HF `BertPooler`: dense + tanh on the first token. */
export class BertPooler extends Module {
  constructor(config: BertConfig) {
    super();
    this.registerModule('dense', new Linear(config.hiddenSize, config.hiddenSize));
  }
  forward(hidden: tf.Tensor): tf.Tensor {
    return tf.tidy('BertPooler', () => {
      const first = tf.squeeze(tf.slice(hidden, [0, 0, 0], [-1, 1, -1]), [1]);
      return tf.tanh(childNamed<TensorModule>(this, 'dense').forward(first));
    });
  }
}

/** Options of {@link BertModel}. */
export interface BertModelOptions {
  /** Build `pooler.dense` (default true). */
  addPoolingLayer?: boolean;
  /** Generator for the initial weights (default: the global one). */
  rng?: Rng;
}

/**
 * BERT encoder with Hugging Face semantics and parameter names (HF's minus the `bert.` prefix):
 * `embeddings.*`, `encoder.layer.N.attention.self.{query,key,value}`, `…attention.output.{dense,LayerNorm}`,
 * `…intermediate.dense`, `…output.{dense,LayerNorm}`, `pooler.dense`. Dense weights are [in, out].
 * Weights start as HF's `_init_weights`: N(0, initializerRange) for dense and embedding weights, zero
 * biases, unit LayerNorm.
 */
export class BertModel extends Module {
  readonly config: BertConfig;
  constructor(config: Partial<BertConfig> = {}, options: BertModelOptions = {}) {
    super();
    this.config = bertConfig(config);
    this.registerModule('embeddings', new BertEmbeddings(this.config));
    this.registerModule('encoder', new BertEncoder(this.config));
    if (options.addPoolingLayer ?? true) this.registerModule('pooler', new BertPooler(this.config));
    initBertWeights(this, this.config.initializerRange, options.rng ?? globalRng());
  }

  get hasPooler(): boolean {
    return this.children().some(([n]) => n === 'pooler');
  }

  /** Run the encoder. Ids and masks are int tensors [B, T] with T ≤ maxPositionEmbeddings. */
  forward(inputs: BertInputs, options: { outputHiddenStates?: boolean } = {}): BertModelOutput {
    const { inputIds } = inputs;
    if (inputIds.rank !== 2) throw new Error(`BertModel: inputIds must be [batch, seq], got [${inputIds.shape}]`);
    const [b, t] = inputIds.shape as [number, number];
    if (t > this.config.maxPositionEmbeddings) {
      throw new Error(`BertModel: sequence length ${t} exceeds maxPositionEmbeddings ${this.config.maxPositionEmbeddings}`);
    }
    for (const [name, m] of [['attentionMask', inputs.attentionMask], ['tokenTypeIds', inputs.tokenTypeIds]] as const) {
      if (m && !tf.util.arraysEqual(m.shape, [b, t])) throw new Error(`BertModel: ${name} has shape [${m.shape}], expected [${b},${t}] like inputIds`);
    }
    return tf.tidy('BertModel', () => {
      const tokenTypes = inputs.tokenTypeIds ?? tf.zeros([b, t], 'int32');
      const emb = childNamed<BertEmbeddings>(this, 'embeddings').forward(inputIds, tokenTypes);
      const additiveMask = inputs.attentionMask ? extendedAttentionMask(inputs.attentionMask) : null;
      const layers = childNamed<BertEncoder>(this, 'encoder').forward(emb, additiveMask);
      const last = layers[layers.length - 1] ?? emb;
      const poolerOutput = this.hasPooler ? childNamed<BertPooler>(this, 'pooler').forward(last) : null;
      const out: BertModelOutput = { lastHiddenState: last, poolerOutput };
      if (options.outputHiddenStates) out.hiddenStates = [emb, ...layers];
      return out as unknown as tf.TensorContainer;
    }) as unknown as BertModelOutput;
  }
}

/** HF's extended attention mask: (1 − mask) · −10000, shaped [B, 1, 1, T] to add to attention scores. */
export function extendedAttentionMask(mask: tf.Tensor): tf.Tensor {
  return tf.tidy('extendedAttentionMask', () => tf.reshape(tf.mul(tf.sub(1, tf.cast(mask, 'float32')), -10000), [mask.shape[0]!, 1, 1, mask.shape[1]!]));
}

/** HF `BertPreTrainedModel._init_weights` on every parameter of `module`. */
export function initBertWeights(module: Module, std: number, rng: Rng): void {
  for (const [name, p] of module.namedParameters()) {
    tf.tidy(() => {
      if (name.endsWith('LayerNorm.weight')) p.assign(tf.ones(p.shape));
      else if (name.endsWith('bias')) p.assign(tf.zeros(p.shape));
      else p.assign(rng.normalTensor(p.shape, 0, std));
    });
  }
}
