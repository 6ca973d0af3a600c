import type * as tf from '@tensorflow/tfjs-core';
import type { Callback, StepMetrics, TrainContext } from './types';

type SimpleHook = 'onTrainStart' | 'onEpochStart' | 'onStepStart' | 'onEpochEnd' | 'onTrainEnd';

/** Whether a callback carries state that checkpoints must save. */
export function hasCallbackState(cb: Callback): boolean {
  return typeof cb.state === 'function' || typeof cb.tensors === 'function';
}

/**
 * Dispatches loop events to callbacks in order, awaiting each. Checks at construction that every stateful
 * callback has a unique `name`.
 */
export class CallbackList<U = unknown> {
  readonly items: readonly Callback<U>[];

  constructor(callbacks: readonly Callback<U>[] = []) {
    const names = new Set<string>();
    callbacks.forEach((cb, i) => {
      if (!hasCallbackState(cb)) return;
      if (!cb.name) throw new Error(`fit: callback #${i} has state()/tensors() but no name; give it a stable \`name\` to key its checkpoint state`);
      if (names.has(cb.name)) throw new Error(`fit: two stateful callbacks are named "${cb.name}"; names key checkpoint state and must be unique`);
      names.add(cb.name);
    });
    this.items = callbacks;
  }

  async call(hook: SimpleHook, ctx: TrainContext<U>): Promise<void> {
    for (const cb of this.items) await cb[hook]?.(ctx);
  }

  async afterBackward(grads: Map<string, tf.Tensor>, ctx: TrainContext<U>): Promise<void> {
    for (const cb of this.items) await cb.onAfterBackward?.(grads, ctx);
  }

  async stepEnd(ctx: TrainContext<U>, metrics: StepMetrics): Promise<void> {
    for (const cb of this.items) await cb.onStepEnd?.(ctx, metrics);
  }

  async evaluate(metrics: Record<string, number>, ctx: TrainContext<U>): Promise<void> {
    for (const cb of this.items) await cb.onEvaluate?.(metrics, ctx);
  }

  get hasAfterBackward(): boolean {
    return this.items.some((cb) => typeof cb.onAfterBackward === 'function');
  }

  /** JSON states of the stateful callbacks, by name. */
  states(): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const cb of this.items) if (cb.name && typeof cb.state === 'function') out[cb.name] = cb.state();
    return out;
  }

  /** Tensors of the stateful callbacks, flattened as `<callback name>/<tensor name>`. Live tensors. */
  tensors(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const cb of this.items) {
      if (!cb.name || typeof cb.tensors !== 'function') continue;
      for (const [k, t] of cb.tensors()) out.set(`${cb.name}/${k}`, t);
    }
    return out;
  }

  /**
   * Restore states and tensors saved by {@link states}/{@link tensors}. A stateful callback without saved
   * state is an error unless `partial` (e.g. a callback added after the checkpoint was written).
   */
  async load(states: Record<string, unknown>, tensors: Map<string, tf.Tensor>, partial = false): Promise<void> {
    const problems = this.checkLoad(states);
    if (problems.length > 0 && !partial) {
      throw new Error(`Checkpoint does not match the callbacks:\n  ${problems.join('\n  ')}\n(load it as partial to skip them)`);
    }
    for (const cb of this.items) {
      if (!cb.name) continue;
      if (typeof cb.loadState === 'function' && cb.name in states) cb.loadState(states[cb.name]);
      if (typeof cb.loadTensors === 'function') {
        const prefix = `${cb.name}/`;
        const mine = new Map<string, tf.Tensor>();
        for (const [k, t] of tensors) if (k.startsWith(prefix)) mine.set(k.slice(prefix.length), t);
        await cb.loadTensors(mine);
      }
    }
  }

  /** Stateful callbacks whose state is absent from `states`. */
  checkLoad(states: Record<string, unknown>): string[] {
    const problems: string[] = [];
    for (const cb of this.items) {
      if (cb.name && typeof cb.state === 'function' && !(cb.name in states)) problems.push(`callback "${cb.name}" has no saved state`);
    }
    return problems;
  }
}
