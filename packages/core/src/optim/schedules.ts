/** A learning-rate schedule: the rate to use for the step with 0-based index `step`. */
export interface LrSchedule {
  lrAt(step: number): number;
}

function check(fn: string, name: string, v: number | undefined, ok: (v: number) => boolean, what: string): void {
  if (v !== undefined && !ok(v)) throw new Error(`${fn}: ${name} must be ${what}, got ${v}`);
}
const nonNeg = (v: number) => v >= 0 && Number.isFinite(v);
const positive = (v: number) => v > 0 && Number.isFinite(v);

function checkStep(fn: string, step: number): void {
  if (!(step >= 0) || !Number.isFinite(step)) throw new Error(`${fn}.lrAt: step must be a finite number >= 0, got ${step}`);
}

/** Options of {@link polyLr}. */
export interface PolyLrOptions {
  baseLr: number;
  /** Total number of iterations; the rate is 0 from there on. */
  maxIter: number;
  power?: number;
  /** Linear warm-up iterations (rate baseLr·t/warmup for t < warmup), as CCT's `warmup_epochs·iters_per_epoch`. */
  warmup?: number;
}

/**
 * Polynomial decay, CCT's `Poly` scheduler: baseLr·(1 − t/maxIter)^power, with an optional linear
 * warm-up from 0 replacing it for t < warmup; 0 once t ≥ maxIter.
 */
export function polyLr(options: PolyLrOptions): LrSchedule {
  const { baseLr, maxIter, power = 0.9, warmup = 0 } = options;
  check('polyLr', 'baseLr', baseLr, nonNeg, 'a finite number >= 0');
  check('polyLr', 'maxIter', maxIter, positive, 'a finite number > 0');
  check('polyLr', 'power', power, nonNeg, 'a finite number >= 0');
  check('polyLr', 'warmup', warmup, nonNeg, 'a finite number >= 0');
  return {
    lrAt(step) {
      checkStep('polyLr', step);
      if (warmup > 0 && step < warmup) return (baseLr * step) / warmup;
      if (step >= maxIter) return 0;
      return baseLr * (1 - step / maxIter) ** power;
    },
  };
}

/** Options of {@link cosineWithWarmup}. */
export interface CosineWithWarmupOptions {
  baseLr: number;
  warmupSteps: number;
  totalSteps: number;
  /** Floor of the cosine (default 0). */
  minLr?: number;
}

/**
 * Linear warm-up from 0 to baseLr over warmupSteps, then half a cosine down to minLr at totalSteps,
 * held there afterwards (Hugging Face `get_cosine_schedule_with_warmup`, clamped at the end).
 */
export function cosineWithWarmup(options: CosineWithWarmupOptions): LrSchedule {
  const { baseLr, warmupSteps, totalSteps, minLr = 0 } = options;
  check('cosineWithWarmup', 'baseLr', baseLr, nonNeg, 'a finite number >= 0');
  check('cosineWithWarmup', 'warmupSteps', warmupSteps, nonNeg, 'a finite number >= 0');
  check('cosineWithWarmup', 'totalSteps', totalSteps, positive, 'a finite number > 0');
  check('cosineWithWarmup', 'minLr', minLr, (v) => nonNeg(v) && v <= baseLr, `in [0, baseLr = ${baseLr}]`);
  return {
    lrAt(step) {
      checkStep('cosineWithWarmup', step);
      if (step < warmupSteps) return (baseLr * step) / warmupSteps;
      const progress = Math.min(1, (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps));
      return minLr + (baseLr - minLr) * 0.5 * (1 + Math.cos(Math.PI * progress));
    },
  };
}

/** Options of {@link linearWithWarmup}. */
export interface LinearWithWarmupOptions {
  baseLr: number;
  warmupSteps: number;
  totalSteps: number;
}

/**
 * Linear warm-up from 0 over warmupSteps, then linear decay to 0 at totalSteps, 0 afterwards
 * (Hugging Face `get_linear_schedule_with_warmup`).
 */
export function linearWithWarmup(options: LinearWithWarmupOptions): LrSchedule {
  const { baseLr, warmupSteps, totalSteps } = options;
  check('linearWithWarmup', 'baseLr', baseLr, nonNeg, 'a finite number >= 0');
  check('linearWithWarmup', 'warmupSteps', warmupSteps, nonNeg, 'a finite number >= 0');
  check('linearWithWarmup', 'totalSteps', totalSteps, positive, 'a finite number > 0');
  return {
    lrAt(step) {
      checkStep('linearWithWarmup', step);
      if (step < warmupSteps) return (baseLr * step) / Math.max(1, warmupSteps);
      return baseLr * Math.max(0, (totalSteps - step) / Math.max(1, totalSteps - warmupSteps));
    },
  };
}

/** Options of {@link stepLr}. */
export interface StepLrOptions {
  baseLr: number;
  /** Steps between decays. */
  stepSize: number;
  /** Multiplicative decay (default 0.1). */
  gamma?: number;
}

/** baseLr·gamma^⌊t/stepSize⌋ (PyTorch `StepLR`, stepped per iteration). */
export function stepLr(options: StepLrOptions): LrSchedule {
  const { baseLr, stepSize, gamma = 0.1 } = options;
  check('stepLr', 'baseLr', baseLr, nonNeg, 'a finite number >= 0');
  check('stepLr', 'stepSize', stepSize, (v) => Number.isInteger(v) && v > 0, 'a positive integer');
  check('stepLr', 'gamma', gamma, nonNeg, 'a finite number >= 0');
  return {
    lrAt(step) {
      checkStep('stepLr', step);
      return baseLr * gamma ** Math.floor(step / stepSize);
    },
  };
}

/** A constant rate. */
export function constantLr(options: { baseLr: number }): LrSchedule {
  check('constantLr', 'baseLr', options.baseLr, nonNeg, 'a finite number >= 0');
  return {
    lrAt(step) {
      checkStep('constantLr', step);
      return options.baseLr;
    },
  };
}
