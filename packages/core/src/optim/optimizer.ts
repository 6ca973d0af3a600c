import * as tf from '@tensorflow/tfjs-core';
import type { Parameter } from '../module/parameter';

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

/**
 * Base of LEL's optimisers. Parameters are addressed by their hierarchical names, so optimiser state
 * (`stateDict()`) is saved in checkpoints under stable names (`<slot>.<param name>`), independent of
 * tfjs's engine-level variable names.
 */
export abstract class Optimizer {
  /** Base learning rate; schedules set it before each step. */
  lr: number;
  readonly groups: ParamGroup[];
  /** Number of `step()` calls so far. */
  stepCount = 0;

  constructor(params: NamedParameter[] | ParamGroup[], lr: number) {
    if (!(lr >= 0)) throw new Error(`Optimizer: learning rate must be >= 0, got ${lr}`);
    this.lr = lr;
    const isGroups = params.length > 0 && !Array.isArray(params[0]);
    this.groups = isGroups ? (params as ParamGroup[]) : [{ params: params as NamedParameter[] }];
    const seen = new Set<string>();
    for (const g of this.groups)
      for (const [n] of g.params) {
        if (seen.has(n)) throw new Error(`Optimizer: parameter "${n}" appears in two groups`);
        seen.add(n);
      }
  }

  /** Every parameter managed by this optimiser. */
  namedParameters(): NamedParameter[] {
    return this.groups.flatMap((g) => g.params);
  }

  /**
   * Apply one update from gradients keyed by parameter name. Frozen parameters (`trainable = false`)
   * and parameters without a gradient are skipped. Gradients are not disposed.
   */
  abstract step(grads: Map<string, tf.Tensor>): void;

  /** Optimiser state by name (slots and counters), for checkpoints. Tensors are live: copy before mutating. */
  abstract stateDict(): Map<string, tf.Tensor>;

  /** Restore state saved by {@link stateDict}; names that do not match this optimiser are an error. */
  abstract loadStateDict(state: Map<string, tf.Tensor>): void;

  /** Release slot variables. */
  abstract dispose(): void;
}
