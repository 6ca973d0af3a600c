/** Result of {@link hungarianMatch}. */
export interface HungarianMatch {
  /** `mapping[row]` = the column matched to `row`, or −1 for rows left unmatched (more rows than columns). */
  mapping: number[];
  /** Sum of the matched entries, the maximum over one-to-one matchings. */
  matched: number;
  /** `matched / sum(counts)` (0 when every count is 0). */
  accuracy: number;
}

/**
 * Maximum-weight one-to-one matching of rows to columns of `counts[row][col]` (e.g. counts[predCluster][gtClass]
 * for unsupervised-clustering accuracy), as scipy's `linear_sum_assignment(maximize=True)`. Rectangular
 * matrices are allowed: min(rows, cols) pairs are matched.
 *
 * Hand-written Hungarian algorithm with potentials (Jonker–Volgenant style shortest augmenting paths,
 * O(n²·m)): tfjs has no assignment solver and a brute force over permutations is factorial.
 */
export function hungarianMatch(counts: number[][]): HungarianMatch {
  const rows = counts.length;
  if (rows === 0) throw new Error('hungarianMatch: "counts" has no rows');
  const cols = counts[0]!.length;
  if (cols === 0) throw new Error('hungarianMatch: "counts" has no columns');
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const r = counts[i];
    if (!Array.isArray(r) || r.length !== cols) throw new Error(`hungarianMatch: row ${i} of "counts" has ${r?.length} entries, expected ${cols}`);
    for (let j = 0; j < cols; j++) {
      if (!Number.isFinite(r[j])) throw new Error(`hungarianMatch: counts[${i}][${j}] = ${r[j]} is not finite`);
      total += r[j]!;
    }
  }
  // The solver needs rows ≤ cols; solve the transpose otherwise.
  const transpose = rows > cols;
  const n = transpose ? cols : rows;
  const m = transpose ? rows : cols;
  const weight = (i: number, j: number): number => (transpose ? counts[j]![i]! : counts[i]![j]!);
  const colOfRow = assignMinCost(n, m, (i, j) => -weight(i, j));

  const mapping = new Array<number>(rows).fill(-1);
  let matched = 0;
  for (let i = 0; i < n; i++) {
    const j = colOfRow[i]!;
    if (transpose) mapping[j] = i;
    else mapping[i] = j;
    matched += weight(i, j);
  }
  return { mapping, matched, accuracy: total === 0 ? 0 : matched / total };
}

// Minimum-cost assignment of n rows to distinct columns among m ≥ n (e-maxx formulation, 1-based
// internally with a virtual column 0). Returns the column of each row.
function assignMinCost(n: number, m: number, cost: (i: number, j: number) => number): number[] {
  const u = new Float64Array(n + 1);
  const v = new Float64Array(m + 1);
  const rowOfCol = new Int32Array(m + 1); // p[j]: row (1-based) assigned to column j, 0 = none
  const way = new Int32Array(m + 1);
  for (let i = 1; i <= n; i++) {
    rowOfCol[0] = i;
    let j0 = 0;
    const minv = new Float64Array(m + 1).fill(Infinity);
    const used = new Uint8Array(m + 1);
    do {
      used[j0] = 1;
      const i0 = rowOfCol[j0]!;
      let delta = Infinity;
      let j1 = 0;
      for (let j = 1; j <= m; j++) {
        if (used[j]) continue;
        const cur = cost(i0 - 1, j - 1) - u[i0]! - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= m; j++) {
        if (used[j]) {
          u[rowOfCol[j]!] = u[rowOfCol[j]!]! + delta;
          v[j] = v[j]! - delta;
        } else minv[j] = minv[j]! - delta;
      }
      j0 = j1;
    } while (rowOfCol[j0] !== 0);
    do {
      const j1 = way[j0]!;
      rowOfCol[j0] = rowOfCol[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const colOfRow = new Array<number>(n).fill(-1);
  for (let j = 1; j <= m; j++) if (rowOfCol[j]! > 0) colOfRow[rowOfCol[j]! - 1] = j - 1;
  return colOfRow;
}
