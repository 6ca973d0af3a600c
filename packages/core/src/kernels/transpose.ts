/**
 * A transpose reduced to its simplest form: input axes that stay adjacent are merged, leaving
 * out[outer…][i][j] = x[Σ outer index·outerStride + i·sRow + j·sCol] over `outer` × rows × cols.
 */
export interface TransposePlan {
  outer: number[];
  outerStride: number[];
  rows: number;
  cols: number;
  sRow: number;
  sCol: number;
}

/** The {@link TransposePlan} of x.transpose(perm) for x of `shape`. */
export function transposePlan(shape: number[], perm: number[]): TransposePlan {
  // Merge runs of input axes that stay consecutive in the output.
  const groups: number[][] = [];
  for (const p of perm) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1]! + 1 === p) last.push(p);
    else groups.push([p]);
  }
  const order = groups.map((g) => g[0]!);
  const sortedStarts = [...order].sort((a, b) => a - b);
  const inDims = sortedStarts.map((s) => groups.find((g) => g[0] === s)!.reduce((a, ax) => a * shape[ax]!, 1));
  const newPerm = order.map((s) => sortedStarts.indexOf(s));
  const r = inDims.length;
  const inStrides = new Array<number>(r);
  let acc = 1;
  for (let i = r - 1; i >= 0; i--) {
    inStrides[i] = acc;
    acc *= inDims[i]!;
  }
  const outDims = newPerm.map((p) => inDims[p]!);
  const srcStride = newPerm.map((p) => inStrides[p]!);
  if (r === 1) return { outer: [], outerStride: [], rows: 1, cols: outDims[0]!, sRow: 0, sCol: 1 };
  return {
    outer: outDims.slice(0, r - 2),
    outerStride: srcStride.slice(0, r - 2),
    rows: outDims[r - 2]!,
    cols: outDims[r - 1]!,
    sRow: srcStride[r - 2]!,
    sCol: srcStride[r - 1]!,
  };
}

/** Visit the outer index of a plan in output order: `visit(srcBase, outBase)`. */
export function forEachOuter(plan: TransposePlan, visit: (srcBase: number, outBase: number) => void): void {
  const { outer, outerStride, rows, cols } = plan;
  const nOuter = outer.reduce((a, b) => a * b, 1);
  const idx = new Array<number>(outer.length).fill(0);
  for (let n = 0, o = 0; n < nOuter; n++, o += rows * cols) {
    let base = 0;
    for (let k = 0; k < outer.length; k++) base += idx[k]! * outerStride[k]!;
    visit(base, o);
    for (let k = outer.length - 1; k >= 0; k--) {
      if (++idx[k]! < outer[k]!) break;
      idx[k] = 0;
    }
  }
}

/**
 * out = x.transpose(perm), any rank. Axes are first merged where perm keeps them adjacent, so the common
 * cases become a (batched) 2-D transpose done in 32×32 tiles; tfjs-wasm's generic Transpose walks the
 * output element by element with strided reads (7 ms for 1024×512, 22 ms for a rank-5 attention split).
 */
export function transposeValues(x: ArrayLike<number>, shape: number[], perm: number[], out: Float32Array | Int32Array): void {
  const plan = transposePlan(shape, perm);
  const { rows, cols, sRow, sCol } = plan;
  // Innermost two output axes as a tiled 2-D transpose; the outer output axes iterate in order.
  const T = 32;
  forEachOuter(plan, (base, o) => {
    for (let i0 = 0; i0 < rows; i0 += T) {
      const i1 = Math.min(rows, i0 + T);
      for (let j0 = 0; j0 < cols; j0 += T) {
        const j1 = Math.min(cols, j0 + T);
        for (let i = i0; i < i1; i++) {
          const rowOut = o + i * cols;
          const rowIn = base + i * sRow;
          for (let j = j0; j < j1; j++) out[rowOut + j] = x[rowIn + j * sCol]!;
        }
      }
    }
  });
}
