/**
 * peft LoKr's `factorization(dimension, factor)` (huggingface/peft:src/peft/tuners/lokr/layer.py): split
 * `dim` into `(m, n)` with `m·n = dim`. A positive `factor` dividing `dim` gives `(factor, dim/factor)`
 * (unsorted); otherwise (`-1` means `factor = dim`) divisors `m = 2, 3, …` are walked while `m < n` and
 * `m ≤ factor`, the last accepted pair is kept and returned sorted ascending (so the default is the
 * pair nearest √dim: 768 → (24, 32), 127 → (1, 127)).
 */
export function factorization(dim: number, factor = -1): [number, number] {
  if (!Number.isInteger(dim) || dim <= 0) throw new Error(`factorization: dim must be a positive integer, got ${dim}`);
  if (!Number.isInteger(factor) || (factor <= 0 && factor !== -1)) {
    throw new Error(`factorization: factor must be a positive integer or -1, got ${factor}`);
  }
  if (factor > 0 && dim % factor === 0) return [factor, dim / factor];
  const f = factor === -1 ? dim : factor;
  let m = 1;
  let n = dim;
  const length = m + n;
  while (m < n) {
    let newM = m + 1;
    while (dim % newM !== 0) newM++;
    const newN = dim / newM;
    if (newM + newN > length || newM > f) break;
    m = newM;
    n = newN;
  }
  return m > n ? [n, m] : [m, n];
}

/** Options of {@link lokrLinearShapes} (peft `LoKrConfig` fields for one Linear). */
export interface LokrShapeOptions {
  inFeatures: number;
  outFeatures: number;
  /** LoKr rank `r` (peft default 8). */
  r?: number;
  /** peft `decompose_factor` (default -1). */
  decomposeFactor?: number;
  /** peft `decompose_both` (default false). */
  decomposeBoth?: boolean;
}

/**
 * Shapes of peft LoKr's adapter tensors for a Linear, in peft's PyTorch order (`[out, in]`):
 * `lokr_w1 [out_l, in_m]` unless `decomposeBoth` and `r < max(out_l, in_m)/2` (then `lokr_w1_a [out_l, r]`,
 * `lokr_w1_b [r, in_m]`); `lokr_w2 [out_k, in_n]` unless `r < max(out_k, in_n)/2` (then `lokr_w2_a`,
 * `lokr_w2_b`). ΔW = kron(w1, w2)·alpha/r.
 */
export function lokrLinearShapes(o: LokrShapeOptions): { shapes: Record<string, [number, number]>; adapterParams: number } {
  const r = o.r ?? 8;
  const f = o.decomposeFactor ?? -1;
  const [inM, inN] = factorization(o.inFeatures, f);
  const [outL, outK] = factorization(o.outFeatures, f);
  const shapes: Record<string, [number, number]> = {};
  if (!((o.decomposeBoth ?? false) && r < Math.max(outL, inM) / 2)) shapes['lokr_w1'] = [outL, inM];
  else {
    shapes['lokr_w1_a'] = [outL, r];
    shapes['lokr_w1_b'] = [r, inM];
  }
  if (!(r < Math.max(outK, inN) / 2)) shapes['lokr_w2'] = [outK, inN];
  else {
    shapes['lokr_w2_a'] = [outK, r];
    shapes['lokr_w2_b'] = [r, inN];
  }
  const adapterParams = Object.values(shapes).reduce((s, [a, b]) => s + a * b, 0);
  return { shapes, adapterParams };
}

/**
 * KronA factor shapes for an `[in, out]` kernel, from LoKr's rule: `A [in_m, out_l]`, `B [in_n, out_k]`
 * with `(in_m, in_n) = factorization(in, f)` and `(out_l, out_k) = factorization(out, f)` (LoKr's `w1`,
 * `w2` transposed to LEL's `[in, out]` layout), so `kron(A, B)` is `[in, out]`.
 */
export function kronaFactorShapes(inFeatures: number, outFeatures: number, decomposeFactor = -1): { aShape: [number, number]; bShape: [number, number] } {
  const [inM, inN] = factorization(inFeatures, decomposeFactor);
  const [outL, outK] = factorization(outFeatures, decomposeFactor);
  return { aShape: [inM, outL], bShape: [inN, outK] };
}
