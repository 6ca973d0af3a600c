import * as tf from '@tensorflow/tfjs-core';
import { kaimingUniform, scoped, type Module, type Rng, type TensorModule } from '@lel/core';
import { adoptChild, type ParameterDict } from '../../module-surgery';
import { BaseAdapterLayer } from '../base-adapter-layer';
import { LinearAdapterLayer } from '../linear-adapter-layer';
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

/** KronA's factor tensors (`krona_A`, `krona_B`, optional `krona_scale`) in the dicts of the layer that owns them. */
class KronaFactors {
  constructor(
    private readonly factorA: ParameterDict,
    private readonly factorB: ParameterDict,
    private readonly scales: ParameterDict,
  ) {}

  add(name: string, spec: KronaAdapterSpec, inF: number, outF: number): void {
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
  }

  scale(name: string, spec: KronaAdapterSpec): number | tf.Scalar {
    return this.scales.has(name) ? (this.scales.get(name).variable as tf.Scalar) : spec.scale;
  }

  /** `s · x (A ⊗ B)`. */
  delta(x: tf.Tensor, name: string, spec: KronaAdapterSpec): tf.Tensor {
    return kronaAdapterForward(x, this.factorA.get(name).variable, this.factorB.get(name).variable, this.scale(name, spec));
  }

  /** Dense `s · kron(A, B)`. */
  kernel(name: string, spec: KronaAdapterSpec): tf.Tensor {
    return kronaDeltaKernel(this.factorA.get(name).variable, this.factorB.get(name).variable, this.scale(name, spec));
  }
}

/**
 * KronA (Edalati et al. 2022) in parallel to a dense layer: `y = x W + b + s · x (A ⊗ B)`, with
 * `A [a1, a2]`, `B [b1, b2]`, `a1·b1 = in`, `a2·b2 = out` (LEL's `[in, out]` layout). The forward never
 * builds `A ⊗ B`; `merge` folds `s·kron(A, B)` into W (then the layer costs nothing extra) and `unmerge`
 * subtracts it again.
 */
export class KronaLinear extends LinearAdapterLayer<KronaAdapterSpec> {
  protected readonly method = 'KronA';
  private readonly factors: KronaFactors;

  constructor(baseLayer: LinearLike) {
    super(baseLayer);
    this.factors = new KronaFactors(this.adapterDict('krona_A'), this.adapterDict('krona_B'), this.adapterDict('krona_scale'));
  }

  addAdapter(name: string, spec: KronaAdapterSpec): void {
    const [inF, outF] = linearDims(this.baseLayer);
    this.registerAdapter(name, spec);
    this.factors.add(name, spec, inF, outF);
  }

  /** Settings of adapter `name`. */
  adapterSpec(name: string): Readonly<KronaAdapterSpec> {
    return this.spec(name);
  }

  /** `s · x (A ⊗ B)` for adapter `name`. */
  adapterDelta(x: tf.Tensor, name: string): tf.Tensor {
    return this.factors.delta(x, name, this.spec(name));
  }

  protected adapterOutput(x: tf.Tensor, name: string): tf.Tensor {
    return this.adapterDelta(x, name);
  }

  /** Dense `s · kron(A, B)` of adapter `name`. */
  deltaKernel(name: string): tf.Tensor {
    return this.factors.kernel(name, this.spec(name));
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
export class KronaBlock extends BaseAdapterLayer<KronaBlockSpec> {
  protected readonly method = 'KronA^B';
  readonly mergeable = false;
  private readonly factors: KronaFactors;

  constructor(
    baseLayer: Module,
    readonly dim: number,
  ) {
    super(baseLayer);
    adoptChild(this, 'base_layer', baseLayer);
    this.factors = new KronaFactors(this.adapterDict('krona_A'), this.adapterDict('krona_B'), this.adapterDict('krona_scale'));
  }

  addAdapter(name: string, spec: KronaBlockSpec): void {
    this.registerAdapter(name, spec);
    this.factors.add(name, spec, this.dim, this.dim);
  }

  /** Settings of adapter `name`. */
  adapterSpec(name: string): Readonly<KronaBlockSpec> {
    return this.spec(name);
  }

  /** The adapter branch `s·x(A⊗B) (+ s_res·x)` of adapter `name`. */
  branch(x: tf.Tensor, name: string): tf.Tensor {
    return scoped('KronaBlock.branch', () => {
      const spec = this.spec(name);
      const a = this.factors.delta(x, name, spec);
      return spec.residual ? tf.add(a, tf.mul(x, spec.resScale)) : a;
    });
  }

  /** `forward(x)` for a plain block, `forward(intermediate, x)` for an HF `BertOutput`-like block. */
  forward(first: tf.Tensor, blockInput?: tf.Tensor): tf.Tensor {
    return scoped('KronaBlock', () => {
      const name = this.runningAdapter;
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

  protected override mergeRefusal(): string {
    return 'KronA^B cannot be merged: it runs in parallel to a non-linear FFN block (use unload or keep the adapter)';
  }
}
