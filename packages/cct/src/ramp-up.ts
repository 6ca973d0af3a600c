/**
 * The official `sigmoid_rampup` [utils/ramps.py]: exp(−5(1 − t/T)²) with t clipped to [0, T]; 1 when T = 0.
 */
export function sigmoidRampup(current: number, rampupLength: number): number {
  if (rampupLength === 0) return 1;
  const t = Math.min(Math.max(current, 0), rampupLength);
  const phase = 1 - t / rampupLength;
  return Math.exp(-5 * phase * phase);
}

/** The official `log_rampup` [utils/ramps.py]: 1 − exp(−5·t/T) with t clipped to [0, T] (ABCE's threshold schedule). */
export function logRampup(current: number, rampupLength: number): number {
  if (rampupLength === 0) return 1;
  const t = Math.min(Math.max(current, 0), rampupLength);
  return 1 - Math.exp((-5 * t) / rampupLength);
}

/** Options of {@link rampUpWeight}. */
export interface RampUpOptions {
  /** Final weight. Official `unsupervised_w` 30 [configs/config.json]. */
  wMax?: number;
  /** Ramp length T in iterations. Official: `int(ramp_up · epochs) · iters_per_epoch`, ramp_up 0.1 [train.py]. */
  rampupLength: number;
  /** Iteration at which the ramp starts (weight 0 before). Official `rampup_starts` 0 [utils/losses.py consistency_weight]. */
  rampupStart?: number;
}

/**
 * Unsupervised loss weight w(t) = w_max · exp(−5(1 − t/T)²) for t < T, then w_max (the official
 * `consistency_weight` with `sigmoid_rampup`). `t` is the global iteration (epoch · iters_per_epoch + batch).
 */
export function rampUpWeight(t: number, options: RampUpOptions): number {
  const wMax = options.wMax ?? 30;
  const start = options.rampupStart ?? 0;
  if (!(options.rampupLength >= 0)) throw new Error(`rampUpWeight: rampupLength must be >= 0, got ${options.rampupLength}`);
  if (t < start) return 0;
  return wMax * sigmoidRampup(t - start, options.rampupLength);
}
