import { z } from 'zod';
import { SwaConfig } from '@lel/swa';

/**
 * SWA as an option of every recipe: `--set swa.enabled=true` (plus any `@lel/swa` SwaConfig key). Averaging
 * runs as a `fit` callback; the averaged weights are evaluated and, with `applyAtEnd`, become the run's `best/`.
 */
export const SwaOption = z
  .object({ enabled: z.boolean().default(false), ...SwaConfig.shape })
  .strict()
  .prefault({});
export type SwaOption = z.output<typeof SwaOption>;

/** The training-loop keys every recipe shares. */
export const TrainLoop = z
  .object({
    /** Stop after this many optimiser steps (the schedules still span the planned length). */
    maxSteps: z.number().int().min(1).optional(),
    /** Write a `train` record to metrics.jsonl every N steps. */
    logEvery: z.number().int().min(1).default(5),
    /** Save a full-state checkpoint every N steps (and at the end). */
    checkpointEvery: z.number().int().min(1).default(20),
    /** Evaluate every N steps (and at the end). */
    evalEvery: z.number().int().min(1).default(20),
    /** Recent checkpoints to keep (plus the best). */
    keepLast: z.number().int().min(1).default(2),
  })
  .strict()
  .prefault({});
export type TrainLoop = z.output<typeof TrainLoop>;

/** `fit` options derived from {@link TrainLoop}. */
export function loopOptions(t: TrainLoop, bestMetric: string | undefined) {
  return {
    maxSteps: t.maxSteps,
    logEvery: t.logEvery,
    evalEvery: { steps: t.evalEvery },
    checkpoint: { every: { steps: t.checkpointEvery }, keepLast: t.keepLast, ...(bestMetric ? { best: { metric: bestMetric, mode: 'max' as const } } : {}) },
  };
}

/** Top-level keys of every recipe config: `recipe`, `seed`, `train`, `swa`. */
export function commonShape(name: string) {
  return {
    recipe: z.literal(name).default(name as never),
    seed: z.number().int().min(0).default(0),
    train: TrainLoop,
    swa: SwaOption,
  };
}

/** What a recipe returns when Ctrl-C stopped its training (the CLI reports the checkpoint; nothing else is written). */
export function interruptedRun(result: { steps: number }) {
  return { metrics: {}, params: { total: 0, trainable: 0 }, steps: result.steps, stopReason: 'interrupted', bestFrom: '', notes: [] as string[] };
}
