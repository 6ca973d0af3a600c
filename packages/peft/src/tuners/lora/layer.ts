import * as tf from '@tensorflow/tfjs-core';
import { Module, Parameter, dropout, kaimingUniform, scoped, type Rng, type TensorModule } from '@lel/core';
import { ParameterDict, adoptChild } from '../../module-surgery';
import { assertAdapterName, type AdapterLayer } from '../adapter-layer';
import { linearDims, type LinearLike } from '../linear-base';

/** LoRA's scaling: `alpha / r`, or `alpha / √r` with rsLoRA (peft `LoraLayer.update_layer`). */
export function loraScaling(r: number, alpha: number, useRslora = false): number {
  if (!Number.isInteger(r) || r <= 0) throw new Error(`loraScaling: r must be a positive integer, got ${r}`);
  return useRslora ? alpha / Math.sqrt(r) : alpha / r;
}

/** `scaling · (x A) B`, LoRA's update for `x [..., in]`, `A [in, r]`, `B [r, out]`. */
export function loraDelta(x: tf.Tensor, a: tf.Tensor, b: tf.Tensor, scaling: number): tf.Tensor {
  return scoped('loraDelta', () => {
    if (a.rank !== 2 || b.rank !== 2 || a.shape[1] !== b.shape[0]) {
      throw new Error(`loraDelta: A [in, r] and B [r, out] expected, got A [${a.shape}] and B [${b.shape}]`);
    }
    const inF = a.shape[0]!;
    if (x.shape[x.rank - 1] !== inF) throw new Error(`loraDelta: x's last axis is ${x.shape[x.rank - 1]}, A expects ${inF}`);
    const lead = x.shape.slice(0, -1);
    const y = tf.matMul(tf.matMul(tf.reshape(x, [-1, inF]), a), b);
    return tf.mul(tf.reshape(y, [...lead, b.shape[1]!]), scaling);
  });
}

/** Name under which a {@link LoraLinear} registers adapter `name`'s dropout generator. */
function loraRngName(name: string): string {
  return `lora_rng_${name}`;
}

/** Per-adapter settings of a LoRA layer. */
export interface LoraAdapterSpec {
  r: number;
  alpha: number;
  dropout: number;
  useRslora: boolean;
  /** `true`: A kaiming-uniform (a = √5), B = 0 (peft default); `'gaussian'`: A ~ N(0, 1/r), B = 0. */
  init: true | 'gaussian';
  /**
   * Generator of A's initial values and of the dropout masks (default the global one, drawn at call time). With
   * `dropout` > 0 the layer registers it as `lora_rng_<adapter>` (e.g. `…query.lora_rng_default`), so
   * checkpoints save its state and a resumed `fit` draws the same masks as an uninterrupted run.
   */
  rng?: Rng;
}

/**
 * LoRA (Hu et al. 2021) around a dense layer: `y = x W + b + (α/r) · dropout(x) A B`, `A [in, r]`,
 * `B [r, out]` (LEL's `[in, out]` layout of peft's `lora_A`/`lora_B` weights), B = 0 at init so the
 * wrapped model starts as the base model.
 */
export class LoraLinear extends Module implements AdapterLayer, TensorModule {
  readonly isAdapterLayer = true as const;
  readonly mergeable = true;
  activeAdapter: string | null = null;
  private merged: string | null = null;
  private readonly specs = new Map<string, LoraAdapterSpec>();
  private readonly loraA: ParameterDict;
  private readonly loraB: ParameterDict;

  constructor(readonly baseLayer: LinearLike) {
    super();
    adoptChild(this, 'base_layer', baseLayer);
    this.loraA = this.registerModule('lora_A', new ParameterDict());
    this.loraB = this.registerModule('lora_B', new ParameterDict());
  }

  get mergedAdapter(): string | null {
    return this.merged;
  }

  addAdapter(name: string, spec: LoraAdapterSpec): void {
    assertAdapterName(name);
    if (this.specs.has(name)) throw new Error(`LoRA: adapter "${name}" already exists on this layer`);
    const [inF, outF] = linearDims(this.baseLayer);
    loraScaling(spec.r, spec.alpha, spec.useRslora);
    const rng = spec.rng;
    const a =
      spec.init === 'gaussian'
        ? (rng ? rng.normalTensor([inF, spec.r], 0, 1 / spec.r) : tf.randomNormal([inF, spec.r], 0, 1 / spec.r))
        : kaimingUniform([inF, spec.r], { a: Math.sqrt(5), rng, fans: { fanIn: inF, fanOut: spec.r } });
    this.loraA.set(name, a);
    this.loraB.set(name, tf.zeros([spec.r, outF]));
    this.specs.set(name, spec);
    if (rng && spec.dropout > 0) this.registerGenerator(loraRngName(name), rng);
  }

  adapterNames(): string[] {
    return [...this.specs.keys()];
  }

  adapterParameters(name: string): [string, Parameter][] {
    this.spec(name);
    return [
      ['lora_A', this.loraA.get(name)],
      ['lora_B', this.loraB.get(name)],
    ];
  }

  deleteAdapter(name: string): void {
    const s = this.spec(name);
    this.loraA.delete(name);
    this.loraB.delete(name);
    if (s.rng && s.dropout > 0) this.deleteGenerator(loraRngName(name));
    this.specs.delete(name);
    if (this.activeAdapter === name) this.activeAdapter = null;
  }

  private spec(name: string): LoraAdapterSpec {
    const s = this.specs.get(name);
    if (!s) throw new Error(`LoRA: no adapter "${name}" on this layer (have: ${this.adapterNames().join(', ') || 'none'})`);
    return s;
  }

  scaling(name: string): number {
    const s = this.spec(name);
    return loraScaling(s.r, s.alpha, s.useRslora);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return scoped('LoraLinear', () => {
      const y = this.baseLayer.forward(x);
      const name = this.activeAdapter;
      if (name === null || this.merged !== null) return y;
      const s = this.spec(name);
      const xin = this.training && s.dropout > 0 ? dropout(x, s.dropout, s.rng) : x;
      return tf.add(y, loraDelta(xin, this.loraA.get(name).variable, this.loraB.get(name).variable, this.scaling(name)));
    });
  }

  /** Dense `[in, out]` update `scaling · A B`. */
  deltaKernel(name: string): tf.Tensor {
    return scoped('LoraLinear.deltaKernel', () =>
      tf.mul(tf.matMul(this.loraA.get(name).variable, this.loraB.get(name).variable), this.scaling(name)),
    );
  }

  merge(name: string): void {
    if (this.merged !== null) throw new Error(`LoraLinear.merge: adapter "${this.merged}" is already merged; unmerge first`);
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
