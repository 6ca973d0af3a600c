import * as tf from '@tensorflow/tfjs-core';
import { dropout, kaimingUniform, scoped, type Rng } from '@lel/core';
import type { ParameterDict } from '../../module-surgery';
import { LinearAdapterLayer } from '../linear-adapter-layer';
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
export class LoraLinear extends LinearAdapterLayer<LoraAdapterSpec> {
  protected readonly method = 'LoRA';
  private readonly loraA: ParameterDict;
  private readonly loraB: ParameterDict;

  constructor(baseLayer: LinearLike) {
    super(baseLayer);
    this.loraA = this.adapterDict('lora_A');
    this.loraB = this.adapterDict('lora_B');
  }

  addAdapter(name: string, spec: LoraAdapterSpec): void {
    const [inF, outF] = linearDims(this.baseLayer);
    loraScaling(spec.r, spec.alpha, spec.useRslora);
    this.registerAdapter(name, spec);
    const rng = spec.rng;
    const a =
      spec.init === 'gaussian'
        ? (rng ? rng.normalTensor([inF, spec.r], 0, 1 / spec.r) : tf.randomNormal([inF, spec.r], 0, 1 / spec.r))
        : kaimingUniform([inF, spec.r], { a: Math.sqrt(5), rng, fans: { fanIn: inF, fanOut: spec.r } });
    this.loraA.set(name, a);
    this.loraB.set(name, tf.zeros([spec.r, outF]));
    if (rng && spec.dropout > 0) this.registerGenerator(loraRngName(name), rng);
  }

  /** Settings of adapter `name`. */
  adapterSpec(name: string): Readonly<LoraAdapterSpec> {
    return this.spec(name);
  }

  protected override onDeleteAdapter(name: string, spec: LoraAdapterSpec): void {
    if (spec.rng && spec.dropout > 0) this.deleteGenerator(loraRngName(name));
  }

  scaling(name: string): number {
    const s = this.spec(name);
    return loraScaling(s.r, s.alpha, s.useRslora);
  }

  protected adapterOutput(x: tf.Tensor, name: string): tf.Tensor {
    const s = this.spec(name);
    const xin = this.training && s.dropout > 0 ? dropout(x, s.dropout, s.rng) : x;
    return loraDelta(xin, this.loraA.get(name).variable, this.loraB.get(name).variable, this.scaling(name));
  }

  /** Dense `[in, out]` update `scaling · A B`. */
  deltaKernel(name: string): tf.Tensor {
    return scoped('LoraLinear.deltaKernel', () =>
      tf.mul(tf.matMul(this.loraA.get(name).variable, this.loraB.get(name).variable), this.scaling(name)),
    );
  }
}
