import { meanConfidenceInterval } from '@lel/core';

/** Mean episode accuracy with its Student-t confidence interval. */
export interface EpisodeAccuracyCI {
  mean: number;
  /** The interval is mean ± halfWidth = t_{(1+confidence)/2, n−1} · sem. */
  halfWidth: number;
  /** Standard error of the mean, std(ddof = 1)/√n. */
  sem: number;
  std: number;
  tQuantile: number;
  /** Number of episodes. */
  n: number;
}

/**
 * SCL's `mean_confidence_interval` (eval/util.py): mean of the episode accuracies ± t_{(1+c)/2, n−1}·sem, with
 * sem = std(ddof = 1)/√n (scipy.stats.sem). Built on `@lel/core`'s `meanConfidenceInterval`; needs ≥ 2 episodes.
 */
export function episodeAccuracyCI(accuracies: ArrayLike<number>, confidence = 0.95): EpisodeAccuracyCI {
  const values = Array.from(accuracies);
  const ci = meanConfidenceInterval(values, confidence);
  return { mean: ci.mean, halfWidth: ci.halfWidth, sem: ci.std / Math.sqrt(values.length), std: ci.std, tQuantile: ci.tQuantile, n: values.length };
}
