/**
 * The 8 raster-scan orderings of Ouali et al. (ECCV 2020) — 4 start corners × row/column-major — plus ordering 0
 * (no masking, used at inference). Numbering and mask transforms follow the public re-implementation
 * (Max-Manning/autoregunsupseg, model/maskedconv.py), the only code that exists for the paper.
 */

/** 0 = unmasked (inference); 1–8 = the raster orderings. */
export type Ordering = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8;

/** The 8 masked orderings. */
export const ORDERINGS: readonly Ordering[] = [1, 2, 3, 4, 5, 6, 7, 8];

/** Zero padding (top, bottom, left, right) of a shifted masked convolution. */
export type Padding4 = [number, number, number, number];

/** Kernel mask and padding of one ordering. */
export interface OrderingKernelMask {
  /** (top, bottom, left, right) zero padding; the conv itself is 'valid', so the output keeps the input's H × W. */
  padding: Padding4;
  /** k × k 0/1 mask (row = kernel row kh, column = kernel column kw), broadcast over the (in, out) channels. */
  mask: number[][];
}

/** Throws unless `o` is an integer ordering in 0..8. */
export function assertOrdering(fn: string, o: number): asserts o is Ordering {
  if (!Number.isInteger(o) || o < 0 || o > 8) throw new Error(`${fn}: ordering must be an integer in 0..8 (0 = unmasked), got ${o}`);
}

function assertKernelSize(fn: string, k: number): void {
  if (!Number.isInteger(k) || k < 1 || k % 2 === 0) throw new Error(`${fn}: kernelSize must be an odd positive integer (3, 5, 7), got ${k}`);
}

type Mat = number[][];
// numpy conventions: rot90 is counter-clockwise, flipV = np.flip(a, 0) (rows), flipH = np.flip(a, 1) (columns).
const rot90ccw = (a: Mat): Mat => a.map((_, i) => a.map((row) => row[a.length - 1 - i]!));
const flipV = (a: Mat): Mat => [...a].reverse();
const flipH = (a: Mat): Mat => a.map((row) => [...row].reverse());
const times = (f: (a: Mat) => Mat, n: number) => (a: Mat) => {
  let r = a;
  for (let i = 0; i < n; i++) r = f(r);
  return r;
};

/**
 * Kernel mask and padding of ordering `o` for a k × k masked conv (p = k // 2). The base mask (ordering 1) is all
 * ones except the last kernel row right of centre, and the input is padded 2p on top and 0 at the bottom: output
 * pixel (i, j) sees rows i − 2p … i, and on row i only columns ≤ j, i.e. itself and pixels earlier in a top-left
 * raster scan ("type B" shifted mask, paper footnote 2). The other orderings rotate/flip the mask and move the
 * 2p padding to the side the scan starts from.
 */
export function orderingKernelMask(kernelSize: number, o: number): OrderingKernelMask {
  assertKernelSize('orderingKernelMask', kernelSize);
  assertOrdering('orderingKernelMask', o);
  const k = kernelSize;
  const p = Math.floor(k / 2);
  const ones = (): Mat => Array.from({ length: k }, () => new Array<number>(k).fill(1));
  if (o === 0) return { padding: [p, p, p, p], mask: ones() };
  const base = ones();
  for (let c = p + 1; c < k; c++) base[2 * p]![c] = 0;
  const table: Record<Exclude<Ordering, 0>, [(a: Mat) => Mat, Padding4]> = {
    1: [(a) => a, [2 * p, 0, p, p]],
    2: [(a) => flipV(rot90ccw(a)), [p, p, 2 * p, 0]],
    3: [flipH, [2 * p, 0, p, p]],
    4: [times(rot90ccw, 3), [p, p, 0, 2 * p]],
    5: [rot90ccw, [p, p, 2 * p, 0]],
    6: [flipV, [0, 2 * p, p, p]],
    7: [times(rot90ccw, 2), [0, 2 * p, p, p]],
    8: [(a) => flipV(times(rot90ccw, 3)(a)), [p, p, 0, 2 * p]],
  };
  const [transform, padding] = table[o];
  return { padding: [...padding], mask: transform(base) };
}

/**
 * Position of every pixel in ordering `o`'s scan, row-major `[h][w]` flattened (rank[y·W + x]). Ordering 0 has no
 * order: every rank is 0 (everything is visible).
 * o1 rows top→bottom, each left→right; o2 columns left→right, each top→bottom; o3 rows top→bottom, right→left;
 * o4 columns right→left, top→bottom; o5 columns left→right, bottom→top; o6 rows bottom→top, left→right;
 * o7 rows bottom→top, right→left; o8 columns right→left, bottom→top.
 */
export function visitRank(height: number, width: number, o: number): Int32Array {
  assertOrdering('visitRank', o);
  if (!Number.isInteger(height) || height < 1 || !Number.isInteger(width) || width < 1) {
    throw new Error(`visitRank: height and width must be positive integers, got ${height} × ${width}`);
  }
  const H = height;
  const W = width;
  const out = new Int32Array(H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const ry = H - 1 - y;
      const rx = W - 1 - x;
      const r = [0, y * W + x, x * H + y, y * W + rx, rx * H + y, x * H + ry, ry * W + x, ry * W + rx, rx * H + ry][o]!;
      out[y * W + x] = r;
    }
  }
  return out;
}
