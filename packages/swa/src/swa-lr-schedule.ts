/** Anything with `lrAt(step)` (structurally `@lel/core`'s `LrSchedule`). */
export interface LrScheduleLike {
  lrAt(step: number): number;
}

/** Options of {@link swaLrSchedule}. */
export interface SwaLrOptions {
  /** The learning rate used before SWA: a constant or the run's own schedule. */
  base: number | LrScheduleLike;
  /** Learning rate held during SWA (torch `swa_lr`). */
  swaLr: number;
  /** First step (in the run's step numbering) of the SWA phase; before it `base` is returned unchanged. Default 0. */
  startStep?: number;
  /** Length of the ramp from the base lr to `swaLr`, in `unit`s; 0 switches at once (torch PR #47579). Default 10 (torch). */
  annealEpochs?: number;
  /** Ramp shape, torch `anneal_strategy`. Default `cos`. */
  annealStrategy?: 'cos' | 'linear';
  /**
   * What one unit of `annealEpochs` is: `step` (one optimiser step, for per-step SWA in PLM
   * fine-tuning) or `epoch` (`stepsPerEpoch` steps, piecewise constant within an epoch, as torch's
   * SWALR stepped once per epoch). Default `step`.
   */
  unit?: 'step' | 'epoch';
  /** Steps per epoch; required with `unit: 'epoch'`. */
  stepsPerEpoch?: number;
}

/** A learning-rate schedule: lr as a pure function of the step. */
export interface SwaLrSchedule extends LrScheduleLike {
  /** The lr the ramp starts from: `base` at `startStep` (torch: the optimiser lr when SWALR is built). */
  readonly annealFrom: number;
}

/**
 * torch `SWALR` as a pure schedule. With `s` = units elapsed since `startStep`
 * (`s = max(1, s)` when `annealEpochs = 0`, so `swaLr` holds from the first SWA step),
 * `t = clamp(s / max(1, annealEpochs), 0, 1)` and `α = (1 − cos πt)/2` (cos) or `t` (linear):
 * `lr = lr₀ + (swaLr − lr₀)·α`, where `lr₀` is the base lr at `startStep`.
 *
 * It wraps the run's schedule instead of stepping beside it, so there is exactly one writer of the
 * learning rate: no clash between a per-step scheduler and a per-epoch SWALR (Lightning #6571,
 * #6963), and nothing to forget to step (pytorch #12446).
 */
export function swaLrSchedule(options: SwaLrOptions): SwaLrSchedule {
  const { base, swaLr } = options;
  const start = options.startStep ?? 0;
  const anneal = options.annealEpochs ?? 10;
  const strategy = options.annealStrategy ?? 'cos';
  const unit = options.unit ?? 'step';
  if (!(swaLr >= 0)) throw new Error(`swaLrSchedule: swaLr must be >= 0, got ${swaLr}`);
  if (!(Number.isInteger(start) && start >= 0)) throw new Error(`swaLrSchedule: startStep must be an integer >= 0, got ${start}`);
  if (!(anneal >= 0)) throw new Error(`swaLrSchedule: annealEpochs must be >= 0, got ${anneal}`);
  if (strategy !== 'cos' && strategy !== 'linear') throw new Error(`swaLrSchedule: annealStrategy must be 'cos' or 'linear', got "${String(strategy)}"`);
  if (unit === 'epoch' && !(Number.isInteger(options.stepsPerEpoch) && options.stepsPerEpoch! > 0)) {
    throw new Error(`swaLrSchedule: unit 'epoch' needs a positive integer stepsPerEpoch, got ${options.stepsPerEpoch}`);
  }
  const baseAt = typeof base === 'number' ? () => base : (step: number) => base.lrAt(step);
  const lr0 = baseAt(start);
  return {
    annealFrom: lr0,
    lrAt(step: number): number {
      if (step < start) return baseAt(step);
      const elapsed = step - start;
      let s = unit === 'epoch' ? Math.floor(elapsed / options.stepsPerEpoch!) : elapsed;
      if (anneal === 0) s = Math.max(1, s);
      const t = Math.min(1, Math.max(0, s / Math.max(1, anneal)));
      const alpha = strategy === 'cos' ? (1 - Math.cos(Math.PI * t)) / 2 : t;
      return lr0 + (swaLr - lr0) * alpha;
    },
  };
}
