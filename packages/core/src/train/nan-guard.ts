import * as tf from '@tensorflow/tfjs-core';

/**
 * Thrown when a loss (or, with `nanGuard.grads`, a gradient; or, before a checkpoint, a weight) is NaN or
 * infinite; names the step and the parts.
 */
export class NonFiniteLossError extends Error {
  /** 1-based number of the step that produced the value (steps completed before it: `step - 1`). */
  readonly step: number;
  readonly epoch: number;
  /** Names of the non-finite loss parts (or `grad:<param>` entries). */
  readonly parts: string[];
  /** All values of the step, finite or not. */
  readonly values: Record<string, number>;
  /** The last good checkpoint, if checkpointing was on. */
  readonly lastCheckpoint: string | undefined;

  /** What was non-finite. */
  readonly kind: 'loss' | 'gradients' | 'weights';

  constructor(info: {
    step: number;
    epoch: number;
    parts: string[];
    values: Record<string, number>;
    lastCheckpoint?: string | undefined;
    note?: string;
    kind?: 'loss' | 'gradients' | 'weights';
  }) {
    const kind = info.kind ?? 'loss';
    const shown = Object.entries(info.values)
      .map(([k, v]) => `${k}=${v}`)
      .join(', ');
    const ckpt = info.lastCheckpoint ? `last good checkpoint: ${info.lastCheckpoint}` : 'no checkpoint was written (set runDir and checkpoint to keep one)';
    super(
      `Non-finite ${kind} ${kind === 'weights' ? 'after' : 'at'} step ${info.step} (epoch ${info.epoch + 1}) in ${info.parts.join(', ')}` +
        (shown ? ` [${shown}]` : '') +
        `. Training stopped; ${ckpt}.` +
        (info.note ? ` ${info.note}` : ''),
    );
    this.name = 'NonFiniteLossError';
    this.kind = kind;
    this.step = info.step;
    this.epoch = info.epoch;
    this.parts = info.parts;
    this.values = info.values;
    this.lastCheckpoint = info.lastCheckpoint;
  }
}

/** Names of the entries that are NaN or ±Infinity. */
export function nonFiniteKeys(values: Record<string, number>): string[] {
  return Object.entries(values)
    .filter(([, v]) => !Number.isFinite(v))
    .map(([k]) => k);
}

/** Names of the tensors (gradients, weights) holding a NaN or infinite element (one device read; no leaks). */
export async function nonFiniteTensors(grads: Map<string, tf.Tensor>): Promise<string[]> {
  if (grads.size === 0) return [];
  const names = [...grads.keys()];
  const flags = tf.tidy(() => tf.stack(names.map((n) => tf.cast(tf.all(tf.isFinite(grads.get(n)!)), 'int32'))) as tf.Tensor1D);
  const ok = await flags.data();
  flags.dispose();
  return names.filter((_, i) => ok[i] !== 1);
}
