import * as tf from '@tensorflow/tfjs-core';
import type { Callback } from '@lel/core';

/** One kernel's share of a profiled step. */
export interface KernelTime {
  name: string;
  calls: number;
  /** Σ kernel time (GPU timestamp queries on webgpu; wall time of the kernel call on cpu/wasm), ms. */
  ms: number;
}

/** What {@link stepProfiler} measured. */
export interface StepProfile {
  /** Wall time of each measured step (onStepStart → onStepEnd: the step's loss read is its synchronisation point), ms. */
  stepMs: number[];
  /** Median of {@link stepMs}. */
  msPerStep: number;
  /**
   * The loss of every step of the measured training, warm-up and profiled step included (`loss`, else `total`):
   * the same recipe and seed on another backend must give the same values up to float32 rounding.
   */
  losses: number[];
  /** The profiled step (1-based), or undefined when the run ended before it. */
  profiledStep?: number;
  /** tfjs kernel calls of the profiled step. */
  kernels?: number;
  /** Σ kernel time of the profiled step, ms. */
  kernelMs?: number;
  /** Per kernel name, slowest first. */
  profile?: KernelTime[];
}

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/**
 * A training callback that times steps after `warmup` of them (kernels compiled, caches filled) and profiles one
 * more step per kernel with `tf.profile` (on webgpu: GPU timestamp queries, which split compute passes, so that
 * step is timed apart). Works with any recipe or method, since it only watches step boundaries: the GPU method
 * benchmark passes it to `lel train`. When a recipe trains more than once (a KD teacher first), the last training is
 * measured. Call `result()` after the run (it awaits the profile's kernel times).
 */
export function stepProfiler(options: { warmup: number; steps: number }): { callback: Callback<never>; result: () => Promise<StepProfile> } {
  const { warmup, steps } = options;
  const stepMs: number[] = [];
  const losses: number[] = [];
  const profileStep = warmup + steps; // 0-based ctx.step of the profiled step
  let started = 0;
  let current = -1; // 0-based index of the step in progress (ctx.step at onStepStart; onStepEnd sees it + 1)
  let endProfiled: (() => void) | undefined;
  let profiled: ReturnType<typeof tf.profile> | undefined;
  const callback: Callback<never> = {
    // A recipe may train more than once (a KD teacher, then the student): the last training is measured.
    onTrainStart() {
      endProfiled?.();
      endProfiled = undefined;
      profiled = undefined;
      stepMs.length = 0;
      losses.length = 0;
      current = -1;
    },
    onStepStart(ctx) {
      current = ctx.step;
      if (current === profileStep) profiled = tf.profile(() => new Promise<void>((resolve) => (endProfiled = resolve)));
      else started = performance.now();
    },
    onStepEnd(_ctx, metrics) {
      losses.push(metrics.loss ?? metrics.total ?? NaN);
      if (current === profileStep) {
        endProfiled?.();
        endProfiled = undefined;
      } else if (current >= warmup && current < profileStep) {
        stepMs.push(performance.now() - started);
      }
    },
  };
  const result = async (): Promise<StepProfile> => {
    // A run that ended inside the profiled step (an error) still closes the profile.
    endProfiled?.();
    const out: StepProfile = { stepMs: stepMs.map((x) => +x.toFixed(2)), msPerStep: +median(stepMs).toFixed(2), losses: [...losses] };
    if (!profiled) return out;
    const info = await profiled;
    const by = new Map<string, KernelTime>();
    for (const k of info.kernels) {
      const e = by.get(k.name) ?? { name: k.name, calls: 0, ms: 0 };
      e.calls++;
      e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
      by.set(k.name, e);
    }
    const profile = [...by.values()].map((e) => ({ ...e, ms: +e.ms.toFixed(3) })).sort((a, b) => b.ms - a.ms);
    return { ...out, profiledStep: profileStep + 1, kernels: info.kernels.length, kernelMs: +profile.reduce((a, e) => a + e.ms, 0).toFixed(2), profile };
  };
  return { callback, result };
}
