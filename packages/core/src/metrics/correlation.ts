import { pairOfNumbers, toNumbers, type NumericInput } from './values';

/**
 * Pearson correlation r = Σ(x−x̄)(y−ȳ) / sqrt(Σ(x−x̄)² · Σ(y−ȳ)²) (scipy.stats.pearsonr), computed in
 * float64 on the host. NaN when either input is constant (the correlation is undefined).
 */
export function pearson(x: NumericInput, y: NumericInput): number {
  const [a, b] = pairOfNumbers('pearson', x, y, ['x', 'y']);
  if (a.length < 2) throw new Error(`pearson: needs at least 2 values, got ${a.length}`);
  return pearsonOf(a, b);
}

function pearsonOf(a: number[], b: number[]): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let sab = 0;
  let saa = 0;
  let sbb = 0;
  for (let i = 0; i < n; i++) {
    const da = a[i]! - ma;
    const db = b[i]! - mb;
    sab += da * db;
    saa += da * da;
    sbb += db * db;
  }
  // scipy clips to [-1, 1] against rounding.
  return Math.max(-1, Math.min(1, sab / Math.sqrt(saa * sbb)));
}

/** 1-based ranks, ties getting the average of the ranks they span (scipy `rankdata(method='average')`). */
export function rankData(values: NumericInput): number[] {
  const v = toNumbers(values, 'rankData');
  const nan = v.findIndex((x) => Number.isNaN(x));
  if (nan >= 0) throw new Error(`rankData: value ${nan} is NaN`);
  const order = v.map((_, i) => i).sort((i, j) => v[i]! - v[j]!);
  const ranks = new Array<number>(v.length);
  for (let s = 0; s < order.length; ) {
    let e = s;
    while (e + 1 < order.length && v[order[e + 1]!] === v[order[s]!]) e++;
    const avg = (s + e) / 2 + 1;
    for (let k = s; k <= e; k++) ranks[order[k]!] = avg;
    s = e + 1;
  }
  return ranks;
}

/** Spearman rank correlation: Pearson correlation of the average ranks (scipy.stats.spearmanr). */
export function spearman(x: NumericInput, y: NumericInput): number {
  const [a, b] = pairOfNumbers('spearman', x, y, ['x', 'y']);
  if (a.length < 2) throw new Error(`spearman: needs at least 2 values, got ${a.length}`);
  return pearsonOf(rankData(a), rankData(b));
}
