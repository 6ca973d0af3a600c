import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from '../module/parameter';
import { readAll } from '../tensor-read';

/** A named parameter, as returned by `Module.namedParameters()`. */
export type NamedParameter = [name: string, param: Parameter];

/** A parameter group with its own hyper-parameters (as PyTorch's param_groups). */
export interface ParamGroup {
  params: NamedParameter[];
  /** Learning-rate multiplier relative to the optimiser's (scheduled) base rate. Default 1. */
  lrScale?: number;
  /** Overrides the optimiser's weight decay for this group (e.g. 0 for biases and LayerNorm). */
  weightDecay?: number;
}

/** One parameter to update in a step, with its group's effective hyper-parameters. */
export interface ParamUpdate {
  name: string;
  param: Parameter;
  grad: tf.Tensor;
  /** `optimizer.lr × group.lrScale`. */
  lr: number;
  /** The group's weight decay, else the optimiser's. */
  weightDecay: number;
}

/** Name of the global step counter in {@link Optimizer.stateDict}. */
export const STEP_KEY = 'step';

/**
 * Base of LEL's optimisers. Parameters are addressed by their hierarchical names, so optimiser state
 * (`stateDict()`) is saved in checkpoints under stable names (`<slot>.<param name>`, e.g.
 * `exp_avg.encoder.weight`, plus the global `step`), independent of tfjs's engine-level variable names.
 *
 * Subclasses implement {@link Optimizer.step} with {@link Optimizer.updates}, {@link Optimizer.getSlot}
 * and {@link Optimizer.setSlot}; per-parameter tensor slots are `tf.Variable`s updated by `assign`, and
 * per-parameter integer counters (Adam's `step.<name>`) are kept on the host.
 */
export abstract class Optimizer {
  /** Base learning rate; schedules set it before each step. */
  lr: number;
  readonly groups: ParamGroup[];
  /** Number of `step()` calls so far. */
  stepCount = 0;
  /** Default weight decay of groups that do not set their own. */
  readonly weightDecay: number;
  /** Tensor slot kinds this optimiser keeps per parameter (e.g. `exp_avg`), for state validation. */
  protected abstract readonly slotKinds: readonly string[];
  /** Scalar counter kinds kept per parameter (e.g. Adam's `step`). */
  protected readonly counterKinds: readonly string[] = [];
  /** Tensor slots by `<kind>.<param name>`. */
  protected readonly slots = new Map<string, tf.Variable>();
  /** Host counters by `<kind>.<param name>`. */
  protected readonly counters = new Map<string, number>();
  private readonly byName = new Map<string, { param: Parameter; group: ParamGroup }>();
  // Scalar variables mirroring the host counters, refreshed by stateDict() so it can return live tensors.
  private readonly counterVariables = new Map<string, tf.Variable>();

  constructor(params: NamedParameter[] | ParamGroup[], lr: number, weightDecay = 0) {
    const name = this.constructor.name;
    if (!(lr >= 0)) throw new Error(`${name}: learning rate must be >= 0, got ${lr}`);
    if (!(weightDecay >= 0)) throw new Error(`${name}: weightDecay must be >= 0, got ${weightDecay}`);
    this.lr = lr;
    this.weightDecay = weightDecay;
    const isGroups = params.length > 0 && !Array.isArray(params[0]);
    this.groups = isGroups ? (params as ParamGroup[]) : [{ params: params as NamedParameter[] }];
    for (const [gi, g] of this.groups.entries()) {
      if (g.lrScale !== undefined && !(g.lrScale >= 0)) throw new Error(`${name}: group ${gi} lrScale must be >= 0, got ${g.lrScale}`);
      if (g.weightDecay !== undefined && !(g.weightDecay >= 0)) throw new Error(`${name}: group ${gi} weightDecay must be >= 0, got ${g.weightDecay}`);
      for (const [n, p] of g.params) {
        if (this.byName.has(n)) throw new Error(`${name}: parameter "${n}" appears twice`);
        this.byName.set(n, { param: p, group: g });
      }
    }
  }

  /** Every parameter managed by this optimiser. */
  namedParameters(): NamedParameter[] {
    return this.groups.flatMap((g) => g.params);
  }

  /**
   * Apply one update from gradients keyed by parameter name. Frozen parameters (`trainable = false`)
   * and parameters without a gradient are skipped; gradients of parameters this optimiser does not
   * manage are ignored. Gradients are not disposed.
   */
  abstract step(grads: Map<string, tf.Tensor>): void;

  /**
   * The parameters a step updates, in group order: trainable, managed, and with a gradient whose shape
   * matches (a mismatch is an error naming the parameter).
   */
  protected updates(grads: Map<string, tf.Tensor>): ParamUpdate[] {
    const out: ParamUpdate[] = [];
    for (const g of this.groups) {
      const lr = this.lr * (g.lrScale ?? 1);
      const weightDecay = g.weightDecay ?? this.weightDecay;
      for (const [name, param] of g.params) {
        const grad = grads.get(name);
        if (!param.trainable || grad === undefined) continue;
        if (!tf.util.arraysEqual(grad.shape, param.shape)) {
          throw new Error(`${this.constructor.name}.step: gradient of "${name}" has shape [${grad.shape}], parameter has [${param.shape}]`);
        }
        out.push({ name, param, grad, lr, weightDecay });
      }
    }
    return out;
  }

  /** The slot `<kind>.<name>`, if it exists yet. */
  protected getSlot(kind: string, name: string): tf.Variable | undefined {
    return this.slots.get(`${kind}.${name}`);
  }

  /** Set slot `<kind>.<name>` to `value` (creating the variable on first use). Call inside a tidy. */
  protected setSlot(kind: string, name: string, value: tf.Tensor): void {
    const key = `${kind}.${name}`;
    const v = this.slots.get(key);
    if (v) v.assign(value);
    else this.slots.set(key, tf.variable(value, false, undefined, 'float32'));
  }

  /**
   * Optimiser state by name: every slot, every per-parameter counter, and the global `step`, for
   * checkpoints. Tensors are live and owned by the optimiser: do not dispose them; copy before mutating.
   */
  stateDict(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [k, v] of this.slots) out.set(k, v);
    const counters = new Map(this.counters);
    counters.set(STEP_KEY, this.stepCount);
    for (const [k, n] of counters) {
      const v = this.counterVariables.get(k);
      if (v) tf.tidy(() => v.assign(tf.scalar(n, 'int32')));
      else this.counterVariables.set(k, tf.tidy(() => tf.variable(tf.scalar(n, 'int32'), false)));
      out.set(k, this.counterVariables.get(k)!);
    }
    for (const [k, v] of this.counterVariables) {
      if (!counters.has(k)) {
        v.dispose();
        this.counterVariables.delete(k);
      }
    }
    return out;
  }

  /**
   * Restore state saved by {@link stateDict}, replacing the current state. Names must be `step` or
   * `<kind>.<param name>` for this optimiser's kinds and parameters, slot shapes must equal their
   * parameter's, counters must be scalars, and a parameter's kinds must be all present or all absent;
   * any defect is an error listing every problem, and nothing is changed. Tensors are copied; the step count and
   * counters are read asynchronously (works on every backend).
   */
  async loadStateDict(state: Map<string, tf.Tensor>): Promise<void> {
    const cls = this.constructor.name;
    const problems: string[] = [];
    const kinds = [...this.slotKinds, ...this.counterKinds];
    const present = new Map<string, Set<string>>();
    const stepT = state.get(STEP_KEY);
    if (!stepT) problems.push(`missing "${STEP_KEY}"`);
    else if (stepT.size !== 1) problems.push(`"${STEP_KEY}" must be a scalar, has shape [${stepT.shape}]`);
    for (const [key, t] of state) {
      if (key === STEP_KEY) continue;
      const kind = kinds.find((k) => key.startsWith(k + '.'));
      const pname = kind === undefined ? undefined : key.slice(kind.length + 1);
      const entry = pname === undefined ? undefined : this.byName.get(pname);
      if (!kind || !entry || pname === undefined) {
        problems.push(`unexpected "${key}" (expected "${STEP_KEY}" or <${kinds.join('|')}>.<parameter name>)`);
        continue;
      }
      const isCounter = this.counterKinds.includes(kind);
      if (isCounter ? t.size !== 1 : !tf.util.arraysEqual(t.shape, entry.param.shape)) {
        problems.push(`"${key}" has shape [${t.shape}], expected [${isCounter ? '' : entry.param.shape}]`);
      }
      if (!present.has(pname)) present.set(pname, new Set());
      present.get(pname)!.add(kind);
    }
    for (const [pname, got] of present) {
      const missing = kinds.filter((k) => !got.has(k));
      if (missing.length > 0) problems.push(`parameter "${pname}" lacks ${missing.map((k) => `"${k}.${pname}"`).join(', ')}`);
    }
    if (problems.length > 0) throw new Error(`${cls}.loadStateDict: state does not match this optimiser:\n  ${problems.join('\n  ')}`);

    const counterKeys = [...state.keys()].filter((key) => key !== STEP_KEY && this.counterKinds.some((k) => key.startsWith(k + '.')));
    const read = await readAll([stepT!, ...counterKeys.map((k) => state.get(k)!)]);
    for (const v of this.slots.values()) v.dispose();
    this.slots.clear();
    this.counters.clear();
    this.stepCount = Math.round(read[0]![0]!);
    counterKeys.forEach((key, i) => this.counters.set(key, Math.round(read[i + 1]![0]!)));
    for (const [key, t] of state) {
      if (key === STEP_KEY || counterKeys.includes(key)) continue;
      this.slots.set(key, tf.tidy(() => tf.variable(t.dtype === 'float32' ? t.clone() : tf.cast(t, 'float32'), false)));
    }
  }

  /** Release slot variables. The optimiser holds no state afterwards (a later step starts afresh). */
  dispose(): void {
    for (const v of this.slots.values()) v.dispose();
    for (const v of this.counterVariables.values()) v.dispose();
    this.slots.clear();
    this.counterVariables.clear();
    this.counters.clear();
  }
}
