import type { ComparisonStats } from './types';

/** A score in [0, 1] as percent with one decimal ('—' when not finite). */
export const pct = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(1) : '—');

/** A difference in [−1, 1] as signed points with one decimal (`+3.5`, `−1.0`; '—' when not finite). */
export const signed = (v: number) => (Number.isFinite(v) ? `${v >= 0 ? '+' : '−'}${Math.abs(100 * v).toFixed(1)}` : '—');

/** A comparison's 95% interval as `[lo, hi]` in signed points, or `none` when it has too few seeds for one. */
export const intervalText = (c: ComparisonStats, none: string) => (Number.isFinite(c.interval[0]) ? `[${signed(c.interval[0])}, ${signed(c.interval[1])}]` : none);
