import type * as tf from '@tensorflow/tfjs-core';
import { serializeSafetensors, type Callback } from '@lel/core';

/**
 * A model's state dict as safetensors bytes. Every tensor is read asynchronously first (a synchronous read throws
 * on WebGPU), then the plain arrays are serialised.
 */
export async function safetensorsOf(stateDict: Map<string, tf.Tensor>, metadata: Record<string, string>): Promise<{ bytes: Uint8Array; names: string[] }> {
  const plain = new Map<string, { dtype: 'F32' | 'I32'; shape: number[]; data: ArrayLike<number> }>();
  for (const [name, t] of stateDict) plain.set(name, { dtype: t.dtype === 'int32' ? 'I32' : 'F32', shape: t.shape, data: await t.data() });
  return { bytes: await serializeSafetensors(plain, metadata), names: [...plain.keys()] };
}

/** A `fit` callback posting every step's loss (and its named parts) with `post`. */
export function stepReporter(post: (m: { step: number; totalSteps: number | undefined; loss: number; parts: Record<string, number> }) => void): Callback<unknown> {
  return {
    onStepEnd(ctx, metrics) {
      const { loss, total, ...parts } = metrics;
      post({ step: ctx.step, totalSteps: ctx.totalSteps, loss: loss ?? total ?? NaN, parts });
    },
  };
}

/** The message of an error, with its stack when it has one. */
export function errorText(err: unknown): string {
  return err instanceof Error ? `${err.message}\n${err.stack ?? ''}` : String(err);
}
