import { studentTQuantile } from './student-t';
import { toNumbers, type NumericInput } from './values';

/** Result of {@link meanConfidenceInterval}. */
export interface MeanConfidenceInterval {
  mean: number;
  /** Half width of the interval: the interval is mean ± halfWidth. */
  halfWidth: number;
  /** Sample standard deviation (ddof = 1). */
  std: number;
  /** Student t quantile t_{(1+confidence)/2, n−1}. */
  tQuantile: number;
}

/**
 * Mean and Student-t confidence interval of `values` (few-shot episode accuracies, seeds):
 * halfWidth = t_{(1+confidence)/2, n−1} · std(ddof=1) / √n, as SCL's `mean_confidence_interval`
 * (scipy.stats.sem times `t.ppf`). Needs at least two values.
 */
export function meanConfidenceInterval(values: NumericInput, confidence = 0.95): MeanConfidenceInterval {
  const v = toNumbers(values, 'meanConfidenceInterval(values)');
  if (v.length < 2) throw new Error(`meanConfidenceInterval: needs at least 2 values, got ${v.length}`);
  if (!(confidence > 0 && confidence < 1)) throw new Error(`meanConfidenceInterval: confidence must be in (0, 1), got ${confidence}`);
  const bad = v.findIndex((x) => !Number.isFinite(x));
  if (bad >= 0) throw new Error(`meanConfidenceInterval: values[${bad}] = ${v[bad]} is not finite`);
  const n = v.length;
  const mean = v.reduce((s, x) => s + x, 0) / n;
  const ss = v.reduce((s, x) => s + (x - mean) * (x - mean), 0);
  const std = Math.sqrt(ss / (n - 1));
  const tQuantile = studentTQuantile((1 + confidence) / 2, n - 1);
  return { mean, halfWidth: (tQuantile * std) / Math.sqrt(n), std, tQuantile };
}
