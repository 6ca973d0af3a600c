import * as tf from '@tensorflow/tfjs-core';
import { kaimingUniform, scoped, type Module, type Parameter, type Rng, type TensorModule } from '@lel/core';
import { adoptChild, type ParameterDict } from '../../module-surgery';
import { BaseAdapterLayer } from '../base-adapter-layer';

/**
 * Clipped relative-distance buckets (Shaw et al. 2018): `bucket[i, j] = clip(i − j, −L, L) + L` in
 * `[0, 2L]` for query i and key j (bucket L is distance 0; bucket 0 collects `j − i ≥ L`). int32 `[tq, tk]`.
 */
export function relativeBuckets(tq: number, tk: number, maxDistance: number): tf.Tensor {
  return tf.tensor2d(relativeBucketArray(tq, tk, maxDistance), [tq, tk], 'int32');
}

/** {@link relativeBuckets} as a row-major `Int32Array` (no tensor). */
export function relativeBucketArray(tq: number, tk: number, maxDistance: number): Int32Array {
  if (!Number.isInteger(maxDistance) || maxDistance < 0) throw new Error(`relativeBuckets: maxDistance must be an integer ≥ 0, got ${maxDistance}`);
  const data = new Int32Array(tq * tk);
  for (let i = 0; i < tq; i++) {
    for (let j = 0; j < tk; j++) data[i * tk + j] = Math.min(maxDistance, Math.max(-maxDistance, i - j)) + maxDistance;
  }
  return data;
}

/** How RelBitFit's relative key vectors R and scalars s are laid out. */
export interface RelativeTableSpec {
  numHeads: number;
  headDim: number;
  /** L_max: 2·L_max + 1 buckets. */
  maxDistance: number;
  /** PT across heads: one R `[nb, d_head]` and one s `[nb]` for every head. */
  shareAcrossHeads: boolean;
  /** LR: R = U V of rank `rank` (null: a full table). */
  rank: number | null;
}

/** Tensors of one RelBitFit adapter: `R` (full) or `U`, `V` (low rank), and `s`. */
export interface RelativeTables {
  R?: tf.Tensor;
  U?: tf.Tensor;
  V?: tf.Tensor;
  s: tf.Tensor;
}

/** Number of buckets, 2·L_max + 1. */
export function numBuckets(maxDistance: number): number {
  return 2 * maxDistance + 1;
}

/** Shapes of the adapter tensors for a spec (R `[H, nb, dh]` or `[nb, dh]`; U `[nb, r]`, V `[r, H·dh]` or `[r, dh]`; s `[H, nb]` or `[nb]`). */
export function relativeTableShapes(spec: RelativeTableSpec): Record<string, number[]> {
  const nb = numBuckets(spec.maxDistance);
  const width = spec.shareAcrossHeads ? spec.headDim : spec.numHeads * spec.headDim;
  const shapes: Record<string, number[]> = {};
  if (spec.rank === null) shapes['R'] = spec.shareAcrossHeads ? [nb, spec.headDim] : [spec.numHeads, nb, spec.headDim];
  else {
    shapes['U'] = [nb, spec.rank];
    shapes['V'] = [spec.rank, width];
  }
  shapes['s'] = spec.shareAcrossHeads ? [nb] : [spec.numHeads, nb];
  return shapes;
}

/**
 * The per-head relative key table `[H, nb, d_head]` from a spec's tensors: a full per-head R as is, a
 * shared R broadcast to every head, or `U V` split into heads along its hidden axis in contiguous
 * `d_head` blocks (head h uses columns h·d_head … (h+1)·d_head − 1).
 */
export function relativeKeyTable(t: RelativeTables, spec: RelativeTableSpec): tf.Tensor {
  return scoped('relativeKeyTable', () => {
    const { numHeads: h, headDim: dh } = spec;
    const nb = numBuckets(spec.maxDistance);
    let r: tf.Tensor;
    if (spec.rank === null) {
      if (!t.R) throw new Error('relativeKeyTable: full-rank spec needs R');
      r = t.R;
    } else {
      if (!t.U || !t.V) throw new Error('relativeKeyTable: low-rank spec needs U and V');
      r = tf.matMul(t.U, t.V);
    }
    if (spec.shareAcrossHeads) {
      if (!tf.util.arraysEqual(r.shape, [nb, dh])) throw new Error(`relativeKeyTable: shared R must be [${nb}, ${dh}], got [${r.shape}]`);
      return tf.tile(tf.reshape(r, [1, nb, dh]), [h, 1, 1]);
    }
    if (spec.rank !== null) return tf.transpose(tf.reshape(r, [nb, h, dh]), [1, 0, 2]);
    if (!tf.util.arraysEqual(r.shape, [h, nb, dh])) throw new Error(`relativeKeyTable: per-head R must be [${h}, ${nb}, ${dh}], got [${r.shape}]`);
    return tf.clone(r);
  });
}

/** The per-head scalar table `[H, nb]` (a shared s broadcast to every head). */
export function relativeScalarTable(s: tf.Tensor, spec: RelativeTableSpec): tf.Tensor {
  return scoped('relativeScalarTable', () => {
    const nb = numBuckets(spec.maxDistance);
    if (spec.shareAcrossHeads) {
      if (!tf.util.arraysEqual(s.shape, [nb])) throw new Error(`relativeScalarTable: shared s must be [${nb}], got [${s.shape}]`);
      return tf.tile(tf.reshape(s, [1, nb]), [spec.numHeads, 1]);
    }
    if (!tf.util.arraysEqual(s.shape, [spec.numHeads, nb])) throw new Error(`relativeScalarTable: s must be [${spec.numHeads}, ${nb}], got [${s.shape}]`);
    return tf.clone(s);
  });
}

/** Inputs of {@link relBitFitLogits}; hidden-size tensors `[B, T, H·d_head]`. */
export interface RelBitFitLogitsInputs {
  /** Queries with bias, `z W_q + b_q`. */
  q: tf.Tensor;
  /** Keys, `z W_k + b_k`. */
  k: tf.Tensor;
  /** Queries without their bias, `z W_q` (RelBitFit's relative term uses them). */
  qNoBias: tf.Tensor;
  /** Per-head key table `[H, nb, d_head]` ({@link relativeKeyTable}). */
  keyTable: tf.Tensor;
  /** Per-head scalar table `[H, nb]` ({@link relativeScalarTable}). */
  scalarTable: tf.Tensor;
  numHeads: number;
  maxDistance: number;
}

/**
 * RelBitFit attention logits `[B, H, T, T]` (before the mask):
 * `e_ij = (q_i·k_j + (z_i W_q)_h · R_h[b(i,j)] + s_h[b(i,j)]) / √d_head` with `b = clip(i − j, ±L_max) + L_max`.
 * The relative term replaces the key bias's contribution, which is constant over j and therefore
 * invisible to the softmax (see {@link keyBiasRowShift}).
 */
export function relBitFitLogits(inp: RelBitFitLogitsInputs): tf.Tensor {
  return scoped('relBitFitLogits', () => {
    const { q, k, qNoBias, numHeads: h } = inp;
    if (q.rank !== 3) throw new Error(`relBitFitLogits: q must be [batch, seq, hidden], got [${q.shape}]`);
    const [b, t, d] = q.shape as [number, number, number];
    for (const [n, x] of [['k', k], ['qNoBias', qNoBias]] as const) {
      if (!tf.util.arraysEqual(x.shape, q.shape)) throw new Error(`relBitFitLogits: ${n} has shape [${x.shape}], expected [${q.shape}] like q`);
    }
    if (d % h !== 0) throw new Error(`relBitFitLogits: hidden ${d} is not divisible by numHeads ${h}`);
    const dh = d / h;
    const nb = numBuckets(inp.maxDistance);
    if (!tf.util.arraysEqual(inp.keyTable.shape, [h, nb, dh])) throw new Error(`relBitFitLogits: keyTable must be [${h}, ${nb}, ${dh}], got [${inp.keyTable.shape}]`);
    if (!tf.util.arraysEqual(inp.scalarTable.shape, [h, nb])) throw new Error(`relBitFitLogits: scalarTable must be [${h}, ${nb}], got [${inp.scalarTable.shape}]`);
    const heads = (x: tf.Tensor) => tf.transpose(tf.reshape(x, [b, t, h, dh]), [0, 2, 1, 3]); // [B, H, T, dh]
    const kT = tf.transpose(tf.reshape(k, [b, t, h, dh]), [0, 2, 3, 1]); // [B, H, dh, T]
    const content = tf.matMul(heads(q), kT);
    // Relative term: P[b,h,i,c] = (z_i W_q)_h · R_h[c], then pick c = bucket(i, j) with one gather.
    const qz = tf.reshape(tf.transpose(tf.reshape(qNoBias, [b, t, h, dh]), [2, 0, 1, 3]), [h, b * t, dh]);
    const p = tf.matMul(qz, tf.transpose(inp.keyTable, [0, 2, 1])); // [H, B·T, nb]
    const pFlat = tf.reshape(tf.transpose(tf.reshape(p, [h, b, t, nb]), [1, 0, 2, 3]), [b * h, t * nb]);
    const bucketData = relativeBucketArray(t, t, inp.maxDistance);
    const idx = new Int32Array(t * t);
    for (let i = 0; i < t; i++) for (let j = 0; j < t; j++) idx[i * t + j] = i * nb + bucketData[i * t + j]!;
    const rel = tf.reshape(tf.gather(pFlat, tf.tensor1d(idx, 'int32'), 1), [b, h, t, t]);
    const sTerm = tf.reshape(tf.gather(inp.scalarTable, tf.tensor1d(bucketData, 'int32'), 1), [1, h, t, t]);
    return tf.div(tf.add(tf.add(content, rel), sTerm), Math.sqrt(dh));
  });
}

/**
 * What a key bias adds to attention logits: `rowShift[h, i] = q_i · b_k[h] / √d_head` for `q [H, Tq, dh]`
 * and `b_k [H, dh]` → `[H, Tq]`. It does not depend on the key position j, so the row softmax cancels it
 * and `b_k` receives no gradient — the parameter slot RelBitFit re-uses.
 */
export function keyBiasRowShift(q: tf.Tensor, bk: tf.Tensor): tf.Tensor {
  return scoped('keyBiasRowShift', () => {
    if (q.rank !== 3 || bk.rank !== 2 || q.shape[0] !== bk.shape[0] || q.shape[2] !== bk.shape[1]) {
      throw new Error(`keyBiasRowShift: q [H, T, dh] and b_k [H, dh] expected, got [${q.shape}] and [${bk.shape}]`);
    }
    return tf.div(tf.squeeze(tf.matMul(q, tf.expandDims(bk, 2)), [2]), Math.sqrt(q.shape[2]!));
  });
}

/** Per-adapter settings of a RelBitFit attention layer. */
export interface RelBitFitAdapterSpec extends Omit<RelativeTableSpec, 'numHeads' | 'headDim'> {
  rng?: Rng;
}

/** The BERT self-attention a RelBitFit layer wraps (HF `BertSelfAttention`). */
export interface SelfAttentionLike extends Module {
  readonly numHeads: number;
  readonly headDim: number;
  forward(hidden: tf.Tensor, additiveMask: tf.Tensor | null): tf.Tensor;
}

function child(parent: Module, name: string): Module {
  for (const [n, m] of parent.children()) if (n === name) return m;
  throw new Error(`RelBitFitSelfAttention: ${parent.constructor.name} has no child "${name}"`);
}

/** Bias of a dense layer, looking through adapter wrappers (`base_layer`). */
function denseBias(m: Module): tf.Tensor | null {
  const c = m as { bias?: Parameter | null; baseLayer?: Module };
  if (c.bias !== undefined) return c.bias?.variable ?? null;
  if (c.baseLayer) return denseBias(c.baseLayer);
  throw new Error(`RelBitFitSelfAttention: cannot find the bias of ${m.constructor.name}`);
}

/**
 * HF `BertSelfAttention` with RelBitFit's relative terms (`relBitFitLogits`). It re-registers the wrapped
 * attention's `query`, `key`, `value`, `dropout` children under the same names, so HF parameter names are
 * unchanged, and adds per-adapter tables `relbitfit_R | relbitfit_U, relbitfit_V` and `relbitfit_s`
 * (all zero, or U = 0 with V random, at init: the model starts as the pretrained one). With tying across
 * layers only the first layer stores the tables (as T5's relative bias in block 0) and the others read them.
 */
export class RelBitFitSelfAttention extends BaseAdapterLayer<{ spec: RelativeTableSpec; owner: RelBitFitSelfAttention }> {
  protected readonly method = 'RelBitFit';
  readonly mergeable = false;
  declare readonly baseLayer: SelfAttentionLike;
  readonly numHeads: number;
  readonly headDim: number;
  private readonly tables = new Map<string, ParameterDict>();

  constructor(baseLayer: SelfAttentionLike) {
    super(baseLayer);
    this.numHeads = baseLayer.numHeads;
    this.headDim = baseLayer.headDim;
    for (const name of ['query', 'key', 'value', 'dropout']) adoptChild(this, name, child(baseLayer, name));
    for (const t of ['R', 'U', 'V', 's']) this.tables.set(t, this.adapterDict(`relbitfit_${t}`));
  }

  /** Add adapter `name`; with `owner` (tying across layers) the tables of `owner` are used. */
  addAdapter(name: string, spec: RelBitFitAdapterSpec, owner?: RelBitFitSelfAttention): void {
    const full: RelativeTableSpec = { numHeads: this.numHeads, headDim: this.headDim, maxDistance: spec.maxDistance, shareAcrossHeads: spec.shareAcrossHeads, rank: spec.rank };
    if (owner && owner !== this) {
      const o = owner.hasAdapter(name) ? owner.entry(name) : undefined;
      if (!o || o.owner !== owner) throw new Error(`RelBitFit: owner layer has no adapter "${name}" of its own`);
      this.registerAdapter(name, { spec: full, owner });
      return;
    }
    this.registerAdapter(name, { spec: full, owner: this });
    for (const [t, shape] of Object.entries(relativeTableShapes(full))) {
      // V is the random factor of the low-rank pair; everything else starts at zero (ΔF = 0 at init).
      const v = t === 'V' ? kaimingUniform(shape, { a: Math.sqrt(5), rng: spec.rng, fans: { fanIn: shape[1]!, fanOut: shape[0]! } }) : tf.zeros(shape);
      this.tables.get(t)!.set(name, v);
    }
  }

  /** Settings of adapter `name` and the layer that stores its tables. */
  entry(name: string): { spec: RelativeTableSpec; owner: RelBitFitSelfAttention } {
    return this.spec(name);
  }

  /** Tensors of adapter `name` (from the owning layer when tied). */
  relativeTables(name: string): { tables: RelativeTables; spec: RelativeTableSpec } {
    const { spec, owner } = this.entry(name);
    const get = (t: string) => {
      const d = owner.tables.get(t)!;
      return d.has(name) ? d.get(name).variable : undefined;
    };
    return { tables: { R: get('R'), U: get('U'), V: get('V'), s: get('s')! }, spec };
  }

  /** `hidden` [B, T, d], `additiveMask` [B, 1, 1, T] → context [B, T, d]. */
  forward(hidden: tf.Tensor, additiveMask: tf.Tensor | null): tf.Tensor {
    return scoped('RelBitFitSelfAttention', () => {
      const name = this.runningAdapter;
      if (name === null) return this.baseLayer.forward(hidden, additiveMask);
      const [b, t, d] = hidden.shape as [number, number, number];
      const query = child(this, 'query') as TensorModule;
      const q = query.forward(hidden);
      const bq = denseBias(query);
      const qNoBias = bq ? tf.sub(q, bq) : q;
      const k = (child(this, 'key') as TensorModule).forward(hidden);
      const v = (child(this, 'value') as TensorModule).forward(hidden);
      const { tables, spec } = this.relativeTables(name);
      let scores = relBitFitLogits({
        q,
        k,
        qNoBias,
        keyTable: relativeKeyTable(tables, spec),
        scalarTable: relativeScalarTable(tables.s, spec),
        numHeads: this.numHeads,
        maxDistance: spec.maxDistance,
      });
      if (additiveMask) scores = tf.add(scores, additiveMask);
      const probs = (child(this, 'dropout') as TensorModule).forward(tf.softmax(scores, -1));
      const vh = tf.transpose(tf.reshape(v, [b, t, this.numHeads, this.headDim]), [0, 2, 1, 3]);
      return tf.reshape(tf.transpose(tf.matMul(probs, vh), [0, 2, 1, 3]), [b, t, d]);
    });
  }

  protected override mergeRefusal(): string {
    return 'RelBitFit cannot be merged into a standard BERT: its relative terms have no place in the base attention (save the adapter instead)';
  }
}
