import { meanConfidenceInterval } from '@lel/core';
import type { ComparisonStats, HeadroomStats } from './types';

/** Mean and sample standard deviation (0 for one value). */
export function meanStd(values: readonly number[]): { mean: number; std: number } {
  if (values.length === 0) return { mean: NaN, std: NaN };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std };
}

/**
 * Paired comparison of a method and its baseline over the seeds both have (same seed = same split and init): the
 * mean of the per-seed differences and its 95% Student-t interval. The verdict is 'better' only when the whole
 * interval is above 0.
 */
export function pairedComparison(
  method: { id: string; seeds: readonly number[]; values: readonly number[] },
  baseline: { id: string; seeds: readonly number[]; values: readonly number[] },
  paper: string,
): ComparisonStats {
  const bySeed = new Map(baseline.seeds.map((s, i) => [s, baseline.values[i]!]));
  const seeds: number[] = [];
  const differences: number[] = [];
  method.seeds.forEach((s, i) => {
    const b = bySeed.get(s);
    if (b === undefined) return;
    seeds.push(s);
    differences.push(method.values[i]! - b);
  });
  const { mean } = meanStd(differences);
  const wins = differences.filter((d) => d > 0).length;
  if (differences.length < 2) {
    return { method: method.id, baseline: baseline.id, seeds, differences, meanDifference: mean, interval: [NaN, NaN], wins, verdict: 'too few seeds', paper };
  }
  const ci = meanConfidenceInterval(differences);
  const interval: [number, number] = [ci.mean - ci.halfWidth, ci.mean + ci.halfWidth];
  const verdict = interval[0] > 0 ? 'better' : interval[1] < 0 ? 'worse' : 'no clear difference';
  return { method: method.id, baseline: baseline.id, seeds, differences, meanDifference: mean, interval, wins, verdict, paper };
}

/**
 * The headroom rule: a setting counts only when the all-label ceiling beats the few-label baseline by a clear
 * margin, at least 1.5 × the baseline's gap to chance or 15 points (0.15 of a [0, 1] metric), whichever is
 * smaller, and never less than 5 points (so a baseline stuck at chance does not make any ceiling count).
 */
export function headroom(chance: number, baseline: number, ceiling: number): HeadroomStats {
  const margin = ceiling - baseline;
  const required = Math.max(0.05, Math.min(1.5 * (baseline - chance), 0.15));
  return { chance, baseline, ceiling, margin, required, counts: margin >= required };
}
