/** Options of {@link swaAveragingSteps} / {@link averagingPlan}. */
export interface SwaStartOptions {
  /** Planned optimiser steps (or epochs, for per-epoch averaging). */
  totalSteps: number;
  /** Fraction of training after which averaging starts, in [0, 1). Lightning's default is 0.8. */
  swaStart: number;
  /** Average every `every` steps once started (1 = every step / every epoch). */
  every: number;
}

/** When averaging happens. */
export interface AveragingPlan {
  /** `⌊swaStart · totalSteps⌋`: the last step that is *not* averaged. */
  startStep: number;
  /** Predicate on t = steps completed (1-based). */
  shouldAverage(t: number): boolean;
}

/**
 * Step-based SWA start rule: averaging happens right after step t (t = optimiser steps completed,
 * 1-based) iff `t > startStep` and `(t − startStep − 1) % every == 0`, with
 * `startStep = ⌊swaStart · totalSteps⌋`: the first average is on the first step after the start, then
 * every `every` steps (Izmailov et al.'s `epoch+1 >= swa_start and (epoch+1-swa_start) % c == 0`;
 * Lightning's per-epoch rule for every = 1).
 */
export function averagingPlan(options: SwaStartOptions): AveragingPlan {
  const { totalSteps, swaStart, every } = options;
  if (!(Number.isInteger(totalSteps) && totalSteps >= 1)) throw new Error(`SWA schedule: totalSteps must be a positive integer, got ${totalSteps}`);
  if (!(swaStart >= 0 && swaStart < 1)) throw new Error(`SWA schedule: swaStart is a fraction of training in [0, 1), got ${swaStart}`);
  if (!(Number.isInteger(every) && every >= 1)) throw new Error(`SWA schedule: every must be an integer >= 1, got ${every}`);
  const startStep = Math.floor(swaStart * totalSteps);
  return { startStep, shouldAverage: (t) => t > startStep && (t - startStep - 1) % every === 0 };
}

/** The steps (1-based) after which {@link averagingPlan} averages, within `totalSteps`. */
export function swaAveragingSteps(options: SwaStartOptions): { startStep: number; steps: number[] } {
  const plan = averagingPlan(options);
  const steps: number[] = [];
  for (let t = 1; t <= options.totalSteps; t++) if (plan.shouldAverage(t)) steps.push(t);
  return { startStep: plan.startStep, steps };
}
