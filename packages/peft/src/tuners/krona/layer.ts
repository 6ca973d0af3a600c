import * as tf from '@tensorflow/tfjs-core';
import { Module, Parameter, kaimingUniform, scoped, type Rng, type TensorModule } from '@lel/core';
import { ParameterDict, adoptChild } from '../../module-surgery';
import type { AdapterLayer } from '../adapter-layer';
import { assertAdapterName } from '../adapter-layer';
import { linearDims, type LinearLike } from '../linear-base';

/**
 * Kronecker product of two matrices: `kron(A, B)[i1·b1 + i2, o1·b2 + o2] = A[i1, o1]·B[i2, o2]`
 * (`np.kron`), shape `[a1·b1, a2·b2]`.
 */
export function kron(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  return scoped('kron', () => {
    if (a.rank !== 2) throw new Error(`kron: A must be a matrix, got shape [${a.shape}]`);
    if (b.rank !== 2) throw new Error(`kron: B must be a matrix, got shape [${b.shape}]`);
    const [a1, a2] = a.shape as [number, number];
    const [b1, b2] = b.shape as [number, number];
    const outer = tf.mul(tf.reshape(a, [a1, 1, a2, 1]), tf.reshape(b, [1, b1, 1, b2]));
    return tf.reshape(outer, [a1 * b1, a2 * b2]);
  });
}

/**
 * KronA's update without building ΔW: `s · x (A ⊗ B)` for `x [..., a1·b1]`, computed as
 * `s · reshape(Aᵀ · reshape(x, [a1, b1]) · B, [a2·b2])` per row (row-major reshapes) — two small matmuls
 * instead of an `in × out` one.
 */
export function kronaAdapterForward(x: tf.Tensor, a: tf.Tensor, b: tf.Tensor, scale: number | tf.Scalar): tf.Tensor {
  return scoped('kronaAdapterForward', () => {
    const [a1, a2] = a.shape as [number, number];
    const [b1, b2] = b.shape as [number, number];
    const inF = a1 * b1;
    if (x.shape[x.rank - 1] !== inF) {
      throw new Error(`kronaAdapterForward: x's last axis is ${x.shape[x.rank - 1]}, expected a1·b1 = ${a1}·${b1} = ${inF}`);
    }
    const lead = x.shape.slice(0, -1);
    const n = lead.reduce((p, d) => p * d, 1);
    // X [n, a1, b1] · B → [n·a1, b2]
    const xb = tf.matMul(tf.reshape(x, [n * a1, b1]), b);
    // → [n, b2, a1] · A → [n·b2, a2] → [n, a2, b2]
    const xbT = tf.reshape(tf.transpose(tf.reshape(xb, [n, a1, b2]), [0, 2, 1]), [n * b2, a1]);
    const y = tf.transpose(tf.reshape(tf.matMul(xbT, a), [n, b2, a2]), [0, 2, 1]);
    return tf.mul(tf.reshape(y, [...lead, a2 * b2]), scale);
  });
}

/** `s · kron(A, B)`, the dense `[in, out]` update KronA adds to a kernel. */
export function kronaDeltaKernel(a: tf.Tensor, b: tf.Tensor, scale: number | tf.Scalar): tf.Tensor {
  return scoped('kronaDeltaKernel', () => tf.mul(kron(a, b), scale));
}

/** Per-adapter settings of a KronA layer. */
export interface KronaAdapterSpec {
  aShape: [number, number];
  bShape: [number, number];
  /** Initial (or fixed) scale s. */
  scale: number;
  /** Learn s (one scalar per adapter and layer). */
  scaleTrainable: boolean;
  /** Which factor starts at zero (so ΔW = 0 at init); the other is kaiming-uniform (a = √5). */
  zeroFactor: 'A' | 'B';
  rng?: Rng;
}

/** Shared adapter bookkeeping of KronA's Linear and block layers. */
abstract class KronaAdapters extends Module {
  readonly isAdapterLayer = true as const;
  activeAdapter: string | null = null;
  protected readonly specs = new Map<string, KronaAdapterSpec>();
  protected readonly factorA: ParameterDict;
  protected readonly factorB: ParameterDict;
  protected readonly scales: ParameterDict;

  constructor() {
    super();
    this.factorA = this.registerModule('krona_A', new ParameterDict());
    this.factorB = this.registerModule('krona_B', new ParameterDict());
    this.scales = this.registerModule('krona_scale', new ParameterDict());
  }

  protected addFactors(name: string, spec: KronaAdapterSpec, inF: number, outF: number): void {
    assertAdapterName(name);
    if (this.specs.has(name)) throw new Error(`KronA: adapter "${name}" already exists on this layer`);
    const [a1, a2] = spec.aShape;
    const [b1, b2] = spec.bShape;
    if (a1 * b1 !== inF || a2 * b2 !== outF) {
      throw new Error(`KronA: factor shapes A [${spec.aShape}] and B [${spec.bShape}] do not fit a [${inF}, ${outF}] kernel (need a1·b1 = in, a2·b2 = out)`);
    }
    const init = (shape: [number, number], zero: boolean) =>
      zero ? tf.zeros(shape) : kaimingUniform(shape, { a: Math.sqrt(5), rng: spec.rng });
    this.factorA.set(name, init(spec.aShape, spec.zeroFactor === 'A'));
    this.factorB.set(name, init(spec.bShape, spec.zeroFactor === 'B'));
    if (spec.scaleTrainable) this.scales.set(name, tf.scalar(spec.scale));
    this.specs.set(name, spec);
  }

  adapterNames(): string[] {
    return [...this.specs.keys()];
  }

  adapterParameters(name: string): [string, Parameter][] {
    this.spec(name);
    const out: [string, Parameter][] = [
      ['krona_A', this.factorA.get(name)],
      ['krona_B', this.factorB.get(name)],
    ];
    if (this.scales.has(name)) out.push(['krona_scale', this.scales.get(name)]);
    return out;
  }

  deleteAdapter(name: string): void {
    this.spec(name);
    this.factorA.delete(name);
    this.factorB.delete(name);
    if (this.scales.has(name)) this.scales.delete(name);
    this.specs.delete(name);
    if (this.activeAdapter === name) this.activeAdapter = null;
  }

  protected spec(name: string): KronaAdapterSpec {
    const s = this.specs.get(name);
    if (!s) throw new Error(`KronA: no adapter "${name}" on this layer (have: ${this.adapterNames().join(', ') || 'none'})`);
    return s;
  }

  protected scaleOf(name: string): number | tf.Scalar {
    return this.scales.has(name) ? (this.scales.get(name).variable as tf.Scalar) : this.spec(name).scale;
  }

  /** `s · x (A ⊗ B)` for adapter `name`. */
  adapterDelta(x: tf.Tensor, name: string): tf.Tensor {
    return kronaAdapterForward(x, this.factorA.get(name).variable, this.factorB.get(name).variable, this.scaleOf(name));
  }

  /** Dense `s · kron(A, B)` of adapter `name`. */
  deltaKernel(name: string): tf.Tensor {
    return kronaDeltaKernel(this.factorA.get(name).variable, this.factorB.get(name).variable, this.scaleOf(name));
  }
}

/**
 * KronA (Edalati et al. 2022) in parallel to a dense layer: `y = x W + b + s · x (A ⊗ B)`, with
 * `A [a1, a2]`, `B [b1, b2]`, `a1·b1 = in`, `a2·b2 = out` (LEL's `[in, out]` layout). The forward never
 * builds `A ⊗ B`; `merge` folds `s·kron(A, B)` into W (then the layer costs nothing extra) and `unmerge`
 * subtracts it again.
 */
export class KronaLinear extends KronaAdapters implements AdapterLayer, TensorModule {
  readonly mergeable = true;
  private merged: string | null = null;

  constructor(readonly baseLayer: LinearLike) {
    super();
    adoptChild(this, 'base_layer', baseLayer);
  }

  get mergedAdapter(): string | null {
    return this.merged;
  }

  addAdapter(name: string, spec: KronaAdapterSpec): void {
    const [inF, outF] = linearDims(this.baseLayer);
    this.addFactors(name, spec, inF, outF);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return scoped('KronaLinear', () => {
      const y = this.baseLayer.forward(x);
      const name = this.activeAdapter;
      if (name === null || this.merged !== null) return y;
      return tf.add(y, this.adapterDelta(x, name));
    });
  }

  merge(name: string): void {
    if (this.merged !== null) throw new Error(`KronaLinear.merge: adapter "${this.merged}" is already merged; unmerge first`);
    const w = this.baseLayer.weight;
    tf.tidy(() => w.assign(tf.add(w.variable, this.deltaKernel(name))));
    this.merged = name;
  }

  unmerge(): void {
    if (this.merged === null) return;
    const name = this.merged;
    const w = this.baseLayer.weight;
    tf.tidy(() => w.assign(tf.sub(w.variable, this.deltaKernel(name))));
    this.merged = null;
  }
}

/** A transformer FFN output module: `forward(hidden, blockInput)` with `dense`, `dropout`, `LayerNorm` children (HF `BertOutput`). */
export interface FfnOutputLike extends Module {
  forward(hidden: tf.Tensor, input: tf.Tensor): tf.Tensor;
}

/** Per-adapter settings of a KronA^B block. */
export interface KronaBlockSpec extends KronaAdapterSpec {
  /** KronA^B_res: add `resScale · x`. */
  residual: boolean;
  /** s_res (fixed). */
  resScale: number;
}

function childOf(parent: Module, name: string): Module {
  for (const [n, m] of parent.children()) if (n === name) return m;
  throw new Error(`KronaBlock: ${parent.constructor.name} has no child "${name}"`);
}

/**
 * KronA^B / KronA^B_res: one Kronecker adapter in parallel to a whole FFN block,
 * `Y = FFN(X) + s · X (A ⊗ B) (+ s_res · X)`, with `A ⊗ B` `[d, d]`. It cannot be merged (FFN is not linear).
 *
 * Two kinds of base module: a plain block `x → FFN(x)` (any TensorModule, `forward(x)`), or HF BERT's
 * `…layer.N.output` (`BertOutput`: `forward(intermediate, x) = LayerNorm(dropout(dense(intermediate)) + x)`),
 * where FFN(x) is `dense(intermediate)` and the adapter (and residual) are added after the dropout, before
 * the block's own residual and LayerNorm: `LayerNorm(dropout(FFN(x)) + s·x(A⊗B) + s_res·x + x)`.
 */
export class KronaBlock extends KronaAdapters implements AdapterLayer {
  readonly mergeable = false;
  readonly mergedAdapter = null;
  private readonly blockSpecs = new Map<string, KronaBlockSpec>();

  constructor(
    readonly baseLayer: Module,
    readonly dim: number,
  ) {
    super();
    adoptChild(this, 'base_layer', baseLayer);
  }

  addAdapter(name: string, spec: KronaBlockSpec): void {
    this.addFactors(name, spec, this.dim, this.dim);
    this.blockSpecs.set(name, spec);
  }

  override deleteAdapter(name: string): void {
    super.deleteAdapter(name);
    this.blockSpecs.delete(name);
  }

  /** The adapter branch `s·x(A⊗B) (+ s_res·x)` of adapter `name`. */
  branch(x: tf.Tensor, name: string): tf.Tensor {
    return scoped('KronaBlock.branch', () => {
      const spec = this.blockSpecs.get(name)!;
      const a = this.adapterDelta(x, name);
      return spec.residual ? tf.add(a, tf.mul(x, spec.resScale)) : a;
    });
  }

  /** `forward(x)` for a plain block, `forward(intermediate, x)` for an HF `BertOutput`-like block. */
  forward(first: tf.Tensor, blockInput?: tf.Tensor): tf.Tensor {
    return scoped('KronaBlock', () => {
      const name = this.activeAdapter;
      const base = this.baseLayer as unknown as { forward(a: tf.Tensor, b?: tf.Tensor): tf.Tensor };
      if (blockInput === undefined) {
        const y = base.forward(first);
        return name === null ? y : tf.add(y, this.branch(first, name));
      }
      if (name === null) return base.forward(first, blockInput);
      const dense = childOf(this.baseLayer, 'dense') as TensorModule;
      const dropout = childOf(this.baseLayer, 'dropout') as TensorModule;
      const norm = childOf(this.baseLayer, 'LayerNorm') as TensorModule;
      const h = tf.add(dropout.forward(dense.forward(first)), this.branch(blockInput, name));
      return norm.forward(tf.add(h, blockInput));
    });
  }

  merge(): void {
    throw new Error('KronA^B cannot be merged: it runs in parallel to a non-linear FFN block (use unload or keep the adapter)');
  }

  unmerge(): void {}
}
