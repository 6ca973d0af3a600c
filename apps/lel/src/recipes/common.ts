import { z } from 'zod';
import { SwaConfig } from '@lel/swa';

/**
 * SWA as an option of every recipe: `--set swa.enabled=true` (plus any `@lel/swa` SwaConfig key). Averaging
 * runs as a `fit` callback; the averaged weights are evaluated and, with `applyAtEnd`, become the run's `best/`.
 */
export const SwaOption = z
  .object({
    enabled: z.boolean().default(false),
    ...SwaConfig.shape,
    /**
     * SWALR (torch `swa_utils.SWALR`): from the step averaging starts (`swaStart` of the planned steps), the learning
     * rate anneals from the method's schedule to this constant over `annealSteps` and holds it (Izmailov et al.'s
     * constant SWA rate). null (default): the method's own schedule throughout.
     */
    lr: z.number().min(0).nullable().default(null),
    /** Steps of SWALR's cosine ramp to `lr` (0: switch at once; torch's default is 10 epochs). */
    annealSteps: z.number().int().min(0).default(0),
  })
  .strict()
  .prefault({});
export type SwaOption = z.output<typeof SwaOption>;

/** The run keys of every recipe's `train` section (how the run goes; the method's length keys sit beside them). */
export const LOOP_KEYS = {
  /** Stop after this many optimiser steps (a budget: the schedules still span the planned length). */
  maxSteps: z.number().int().min(1).optional(),
  /** Write a `train` record to metrics.jsonl every N steps. */
  logEvery: z.number().int().min(1).default(5),
  /** Save a full-state checkpoint every N steps (and at the end). */
  checkpointEvery: z.number().int().min(1).default(20),
  /** Evaluate every N steps (and at the end). */
  evalEvery: z.number().int().min(1).default(20),
  /** Recent checkpoints to keep (plus the best). */
  keepLast: z.number().int().min(1).default(2),
  /** Stop after this many evaluations without improvement of the recipe's best metric (0: never). */
  earlyStop: z.number().int().min(0).default(0),
  /**
   * Which weights `best/` keeps (and the report scores) without SWA: those of the best evaluation or the last step;
   * absent: the recipe's choice (best, except arseg/iic). `last` is the "last iterate" baseline of SWA.
   */
  keep: z.enum(['best', 'last']).optional(),
};

/**
 * The one training section of a recipe: the method's length keys (epochs or steps, batch sizes — `length`, with the
 * method package's defaults) and the run keys every recipe shares ({@link LOOP_KEYS}).
 */
export function trainSection<S extends z.ZodRawShape>(length: S) {
  // Every key has a default (or is optional): an absent section is the defaults.
  return z.object(length).extend(LOOP_KEYS).strict().prefault({} as never);
}

/** The run keys of a resolved `train` section. */
export type TrainLoop = { [K in keyof typeof LOOP_KEYS]: z.output<(typeof LOOP_KEYS)[K]> };

/** Top-level keys of every recipe config: `recipe`, `seed`, `train` (with the method's length keys), `swa`. */
export function commonShape<S extends z.ZodRawShape>(name: string, length: S) {
  return {
    recipe: z.literal(name).default(name as never),
    seed: z.number().int().min(0).default(0),
    train: trainSection(length),
    swa: SwaOption,
  };
}

