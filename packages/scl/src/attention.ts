import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, relu, scoped, type Rng } from '@lel/core';

/** How the per-location similarities of two feature maps are reduced to one number (SCL `--aggregation`). */
export type SpatialAggregation = 'mean' | 'sum' | 'max' | 'logsum';

/** The six matrices of the q/k/v MLPs of {@link spatialSimilarity}: each MLP is `relu(x @ w1) @ w2`, no bias. */
export interface AttentionWeights {
  q1: tf.Tensor2D;
  q2: tf.Tensor2D;
  k1: tf.Tensor2D;
  k2: tf.Tensor2D;
  v1: tf.Tensor2D;
  v2: tf.Tensor2D;
}

/** Options of {@link spatialSimilarity}. */
export interface SpatialSimilarityOptions {
  /** Reduction over locations. Default 'mean' (SCL `--aggregation` default). */
  aggregation?: SpatialAggregation;
  /** λ of the 'logsum' aggregation, log(Σ_u exp(λ·x_u))/λ. Default 6 (SCL models/attention.py). */
  lambdaLse?: number;
  /** Also return the per-location similarities [Nb, Na, HW]. Default false. */
  perLocation?: boolean;
}

/** Output of {@link spatialSimilarity}; the caller disposes both tensors. */
export type SpatialSimilarity = {
  /** s(A_i, B_j) at [j, i], shape [Nb, Na] (the layout of SCL's `contrast_a_with_b`). */
  similarity: tf.Tensor2D;
  /** cos(v_A[u], B̃[u]) + cos(v_B[u], Ã[u]) at [j, i, u], when asked for. */
  perLocation?: tf.Tensor3D;
};

function mlp(x: tf.Tensor, w1: tf.Tensor, w2: tf.Tensor): tf.Tensor {
  return tf.matMul(relu(tf.matMul(x, w1)), w2);
}

/**
 * Cosine similarity along the last axis as PyTorch 1.13's `F.cosine_similarity`: x·y / √max(‖x‖²‖y‖², ε²), ε = 1e-8.
 * The clamp inside the root keeps the gradient finite when a value vector is zero (all its ReLUs off).
 */
function cosine(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const dot = tf.sum(tf.mul(a, b), -1);
  const na2 = tf.sum(tf.square(a), -1);
  const nb2 = tf.sum(tf.square(b), -1);
  return tf.div(dot, tf.sqrt(tf.maximum(tf.mul(na2, nb2), 1e-16)));
}

function checkMap(name: string, x: tf.Tensor): void {
  if (x.rank !== 4) throw new Error(`spatialSimilarity: ${name} must be an NHWC feature map [N, H, W, C], got shape [${x.shape}]`);
  if (x.dtype !== 'float32') throw new Error(`spatialSimilarity: ${name} must be float32, got ${x.dtype}`);
}

/**
 * SCL's spatial similarity with attention alignment (`AttentionSimilarity.contrast_a_with_b`, models/attention.py),
 * for every pair at once. Each location u = y·W + x of a map becomes a C-vector; q, k, v = MLP(C → C → C′). For the
 * pair (A_i, B_j): Ã = softmax(q_B k_Aᵀ/√C′)·v_A (A's values aligned to B's locations), B̃ = softmax(q_A k_Bᵀ/√C′)·v_B,
 * and s(A_i, B_j) = agg_u [cos(v_A[u], B̃[u]) + cos(v_B[u], Ã[u])], which is symmetric in its two arguments and lies
 * in [−2, 2] per location. Cost: Na·Nb·HW² attention weights.
 *
 * @param a feature maps [Na, H, W, C]
 * @param b feature maps [Nb, H, W, C] (pass `a` again for all pairs within one batch, as SCL does)
 */
export function spatialSimilarity(a: tf.Tensor, b: tf.Tensor, weights: AttentionWeights, options: SpatialSimilarityOptions = {}): SpatialSimilarity {
  checkMap('a', a);
  checkMap('b', b);
  const [na, h, w, c] = a.shape as [number, number, number, number];
  const [nb, hb, wb, cb] = b.shape as [number, number, number, number];
  if (h !== hb || w !== wb || c !== cb) throw new Error(`spatialSimilarity: a [${a.shape}] and b [${b.shape}] must have the same H, W and C`);
  for (const [k, m] of Object.entries(weights) as [string, tf.Tensor][]) {
    if (!m || m.rank !== 2) throw new Error(`spatialSimilarity: weights.${k} must be a 2-D matrix`);
  }
  if (weights.q1.shape[0] !== c) throw new Error(`spatialSimilarity: weights.q1 has ${weights.q1.shape[0]} input rows, the maps have ${c} channels`);
  const aggregation = options.aggregation ?? 'mean';
  if (!['mean', 'sum', 'max', 'logsum'].includes(aggregation)) throw new Error(`spatialSimilarity: unknown aggregation "${aggregation}" (mean | sum | max | logsum)`);
  const lambdaLse = options.lambdaLse ?? 6;
  if (!(lambdaLse > 0)) throw new Error(`spatialSimilarity: lambdaLse must be > 0, got ${lambdaLse}`);
  return scoped('spatialSimilarity', () => {
    const hw = h * w;
    const fa = tf.reshape(a, [na * hw, c]);
    const fb = tf.reshape(b, [nb * hw, c]);
    const proj = (f: tf.Tensor, n: number, w1: tf.Tensor, w2: tf.Tensor) => tf.reshape(mlp(f, w1, w2), [n, hw, -1]);
    const qa = proj(fa, na, weights.q1, weights.q2);
    const ka = proj(fa, na, weights.k1, weights.k2);
    const va = proj(fa, na, weights.v1, weights.v2);
    const qb = proj(fb, nb, weights.q1, weights.q2);
    const kb = proj(fb, nb, weights.k1, weights.k2);
    const vb = proj(fb, nb, weights.v1, weights.v2);
    const d = qa.shape[2]!;
    if (kb.shape[2] !== d || vb.shape[2] !== d) throw new Error('spatialSimilarity: q, k and v must project to the same width C′');
    const scale = 1 / Math.sqrt(d);
    // All pairs without tiling: one [Nb·HW, Na·HW] score matrix per direction, then batched products per set.
    // Ã[j, i] = softmax_v(q_B[j, u]·k_A[i, v]/√C′)·v_A[i, v], batched over i.
    const sBA = tf.mul(tf.matMul(tf.reshape(qb, [nb * hw, d]), tf.transpose(tf.reshape(ka, [na * hw, d]))), scale);
    const attBA = tf.softmax(tf.reshape(tf.transpose(tf.reshape(sBA, [nb, hw, na, hw]), [2, 0, 1, 3]), [na, nb * hw, hw]));
    const alignedA = tf.transpose(tf.reshape(tf.matMul(attBA, va), [na, nb, hw, d]), [1, 0, 2, 3]); // [Nb, Na, HW, C′]
    // B̃[j, i] = softmax_v(q_A[i, u]·k_B[j, v]/√C′)·v_B[j, v], batched over j.
    const sAB = tf.mul(tf.matMul(tf.reshape(qa, [na * hw, d]), tf.transpose(tf.reshape(kb, [nb * hw, d]))), scale);
    const attAB = tf.softmax(tf.reshape(tf.transpose(tf.reshape(sAB, [na, hw, nb, hw]), [2, 0, 1, 3]), [nb, na * hw, hw]));
    const alignedB = tf.reshape(tf.matMul(attAB, vb), [nb, na, hw, d]);
    const per = tf.add(cosine(tf.expandDims(va, 0), alignedB), cosine(tf.expandDims(vb, 1), alignedA)) as tf.Tensor3D;
    let sim: tf.Tensor;
    if (aggregation === 'mean') sim = tf.mean(per, -1);
    else if (aggregation === 'sum') sim = tf.sum(per, -1);
    else if (aggregation === 'max') sim = tf.max(per, -1);
    else sim = tf.div(tf.logSumExp(tf.mul(per, lambdaLse), -1), lambdaLse);
    const out: SpatialSimilarity = options.perLocation ? { similarity: sim as tf.Tensor2D, perLocation: per } : { similarity: sim as tf.Tensor2D };
    return out;
  });
}

/** Options of {@link AttentionSimilarity}. */
export interface AttentionSimilarityOptions {
  /** Width C′ of q, k and v. Default 80 (SCL `--feat_dim`). */
  innerSize?: number;
  aggregation?: SpatialAggregation;
  lambdaLse?: number;
  rng?: Rng;
}

/**
 * SCL's `AttentionSimilarity` head: three MLPs C → C → C′ (no bias, ReLU) for queries, keys and values, applied per
 * location, and {@link spatialSimilarity} over all pairs. Parameters `query.0.weight`, `query.2.weight`, … as in
 * the official `nn.Sequential(Linear, ReLU, Linear)` (weights stored [in, out]).
 */
export class AttentionSimilarity extends Module {
  readonly innerSize: number;
  readonly aggregation: SpatialAggregation;
  readonly lambdaLse: number;
  private readonly heads: Record<'query' | 'key' | 'value', [Linear, Linear]>;

  constructor(
    readonly hiddenSize: number,
    options: AttentionSimilarityOptions = {},
  ) {
    super();
    if (!Number.isInteger(hiddenSize) || hiddenSize < 1) throw new Error(`AttentionSimilarity: hiddenSize must be a positive integer, got ${hiddenSize}`);
    this.innerSize = options.innerSize ?? 80;
    this.aggregation = options.aggregation ?? 'mean';
    this.lambdaLse = options.lambdaLse ?? 6;
    const make = (name: 'query' | 'key' | 'value'): [Linear, Linear] => {
      const l1 = new Linear(hiddenSize, hiddenSize, { bias: false, rng: options.rng });
      const l2 = new Linear(hiddenSize, this.innerSize, { bias: false, rng: options.rng });
      const seq = new Module();
      seq.registerModule('0', l1);
      seq.registerModule('2', l2);
      this.registerModule(name, seq);
      return [l1, l2];
    };
    this.heads = { query: make('query'), key: make('key'), value: make('value') };
  }

  /** The current weights as {@link AttentionWeights} (live variables, not copies). */
  weights(): AttentionWeights {
    const w = (l: Linear) => l.weight.variable as unknown as tf.Tensor2D;
    return {
      q1: w(this.heads.query[0]),
      q2: w(this.heads.query[1]),
      k1: w(this.heads.key[0]),
      k2: w(this.heads.key[1]),
      v1: w(this.heads.value[0]),
      v2: w(this.heads.value[1]),
    };
  }

  /** s(A_i, B_j) at [j, i]: `forward(maps, maps)` gives the [2N, 2N] matrix of a two-view batch. */
  forward(a: tf.Tensor, b: tf.Tensor = a): tf.Tensor2D {
    const { similarity } = spatialSimilarity(a, b, this.weights(), { aggregation: this.aggregation, lambdaLse: this.lambdaLse });
    return similarity;
  }
}
