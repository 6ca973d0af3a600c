import { dot, normalizeRow, toLabels, toRows, type FeatureMatrix } from './matrix';

/** Options of {@link fitLogisticRegression}. */
export interface LogisticRegressionOptions {
  /** Inverse regularisation strength: minimise C·Σ CE + ½‖W‖². Default 1 (SCL eval/meta_eval.py). */
  C?: number;
  /** L-BFGS iteration cap. Default 1000 (SCL `max_iter=1000`). */
  maxIter?: number;
  /** Stop when the largest gradient entry is below this. Default 1e-9 (far tighter than sklearn's 1e-4). */
  gradTol?: number;
  /** L2-normalise every support and query row first (SCL normalises features before the probe). Default true. */
  normalize?: boolean;
}

/** A fitted multinomial logistic regression (float64, host memory). */
export interface LogisticRegression {
  /** Sorted distinct support labels; column k of every output is `classes[k]` (sklearn's `classes_`). */
  classes: number[];
  /** Feature dimension D. */
  dim: number;
  /** W as a kernel [D, K], row-major. */
  coef: Float64Array;
  /** b [K], centred to sum 0 (softmax is invariant to a shared shift, which is left unpenalised). */
  intercept: Float64Array;
  /** L-BFGS iterations run and whether the gradient tolerance was reached. */
  iterations: number;
  converged: boolean;
  /** Whether rows are L2-normalised before use (as at fit time). */
  normalize: boolean;
  /** Class probabilities [Q, K] (row-major) of query rows. */
  predictProba(query: FeatureMatrix): Float64Array;
  /** Predicted labels (values of `classes`) of query rows. */
  predict(query: FeatureMatrix): Int32Array;
}

/** Orthonormal basis of the span of `rows` (modified Gram–Schmidt, re-orthogonalised), dependent rows dropped. */
function rowSpanBasis(rows: Float64Array[]): Float64Array[] {
  const basis: Float64Array[] = [];
  for (const x of rows) {
    const v = Float64Array.from(x);
    const norm0 = Math.sqrt(dot(v, v));
    if (norm0 === 0) continue;
    for (let pass = 0; pass < 2; pass++) {
      for (const q of basis) {
        const c = dot(v, q);
        for (let j = 0; j < v.length; j++) v[j] = v[j]! - c * q[j]!;
      }
    }
    const norm = Math.sqrt(dot(v, v));
    if (norm > 1e-10 * norm0) basis.push(v.map((t) => t / norm));
  }
  return basis;
}

/**
 * Objective and gradient in the reduced space: θ = [V (r×K) row-major, b (K)],
 * f = C·Σ_i [logsumexp(z_i·V + b) − (z_i·V + b)_{y_i}] + ½‖V‖².
 */
function objective(theta: Float64Array, z: Float64Array[], y: number[], r: number, k: number, C: number, grad: Float64Array): number {
  grad.fill(0);
  let f = 0;
  for (let p = 0; p < r * k; p++) {
    f += 0.5 * theta[p]! * theta[p]!;
    grad[p] = theta[p]!;
  }
  const logits = new Float64Array(k);
  for (let i = 0; i < z.length; i++) {
    const zi = z[i]!;
    let max = -Infinity;
    for (let c = 0; c < k; c++) {
      let s = theta[r * k + c]!;
      for (let j = 0; j < r; j++) s += zi[j]! * theta[j * k + c]!;
      logits[c] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(logits[c]! - max);
    const lse = max + Math.log(sum);
    f += C * (lse - logits[y[i]!]!);
    for (let c = 0; c < k; c++) {
      const g = C * (Math.exp(logits[c]! - lse) - (c === y[i] ? 1 : 0));
      if (g === 0) continue;
      for (let j = 0; j < r; j++) grad[j * k + c] = grad[j * k + c]! + g * zi[j]!;
      grad[r * k + c] = grad[r * k + c]! + g;
    }
  }
  return f;
}

function maxAbs(v: Float64Array): number {
  let m = 0;
  for (const x of v) m = Math.max(m, Math.abs(x));
  return m;
}

/** L-BFGS (two-loop recursion, memory 10) with a backtracking Armijo line search; minimises in place. */
function lbfgs(f: (x: Float64Array, g: Float64Array) => number, x: Float64Array, maxIter: number, gradTol: number): { iterations: number; converged: boolean } {
  const n = x.length;
  const memory = 10;
  const ss: Float64Array[] = [];
  const ys: Float64Array[] = [];
  const rhos: number[] = [];
  let g = new Float64Array(n);
  let fx = f(x, g);
  const dir = new Float64Array(n);
  const xNew = new Float64Array(n);
  let gNew = new Float64Array(n);
  for (let it = 0; it < maxIter; it++) {
    if (maxAbs(g) <= gradTol) return { iterations: it, converged: true };
    // Two-loop recursion: dir = −H·g.
    dir.set(g);
    const alphas: number[] = [];
    for (let m = ss.length - 1; m >= 0; m--) {
      const a = rhos[m]! * dot(ss[m]!, dir);
      alphas[m] = a;
      const ym = ys[m]!;
      for (let j = 0; j < n; j++) dir[j] = dir[j]! - a * ym[j]!;
    }
    let gamma = 1;
    if (ss.length > 0) {
      const last = ss.length - 1;
      gamma = dot(ss[last]!, ys[last]!) / dot(ys[last]!, ys[last]!);
    } else {
      gamma = 1 / Math.max(1, Math.sqrt(dot(g, g)));
    }
    for (let j = 0; j < n; j++) dir[j] = dir[j]! * gamma;
    for (let m = 0; m < ss.length; m++) {
      const b = rhos[m]! * dot(ys[m]!, dir);
      const sm = ss[m]!;
      for (let j = 0; j < n; j++) dir[j] = dir[j]! + sm[j]! * (alphas[m]! - b);
    }
    for (let j = 0; j < n; j++) dir[j] = -dir[j]!;
    let slope = dot(g, dir);
    if (!(slope < 0)) {
      // Not a descent direction (round-off): restart from steepest descent.
      ss.length = ys.length = rhos.length = 0;
      for (let j = 0; j < n; j++) dir[j] = -g[j]!;
      slope = dot(g, dir);
    }
    let step = 1;
    let fNew = Infinity;
    for (let ls = 0; ls < 60; ls++) {
      for (let j = 0; j < n; j++) xNew[j] = x[j]! + step * dir[j]!;
      fNew = f(xNew, gNew);
      if (fNew <= fx + 1e-4 * step * slope) break;
      // Near the optimum the decrease of f drops below its round-off (|Δf| ~ ‖g‖² ≪ ε·|f|): judge by the gradient.
      if (Math.abs(fNew - fx) <= 1e-13 * Math.abs(fx) && maxAbs(gNew) < maxAbs(g)) break;
      step *= 0.5;
    }
    if (!(fNew <= fx + 1e-13 * Math.abs(fx))) return { iterations: it, converged: maxAbs(g) <= gradTol }; // no progress possible
    const s = new Float64Array(n);
    const yv = new Float64Array(n);
    for (let j = 0; j < n; j++) {
      s[j] = xNew[j]! - x[j]!;
      yv[j] = gNew[j]! - g[j]!;
    }
    const sy = dot(s, yv);
    if (sy > 1e-300) {
      ss.push(s);
      ys.push(yv);
      rhos.push(1 / sy);
      if (ss.length > memory) {
        ss.shift();
        ys.shift();
        rhos.shift();
      }
    }
    x.set(xNew);
    [g, gNew] = [gNew, g];
    fx = fNew;
  }
  return { iterations: maxIter, converged: maxAbs(g) <= gradTol };
}

/**
 * Multinomial L2-regularised logistic regression, the few-shot probe of SCL (`LogisticRegression(penalty='l2',
 * C=1.0, solver='lbfgs', max_iter=1000, multi_class='multinomial')`): minimises C·Σ_i CE_i + ½‖W‖² with an
 * unpenalised intercept, solved in float64 to a gradient of `gradTol`, so it matches sklearn's solution within
 * sklearn's own tolerance.
 *
 * The optimum W lies in the span of the support rows (the loss sees W only through X·W and the penalty is ‖W‖²),
 * so it is solved in an orthonormal basis of that span: r ≤ n unknowns per class instead of D, e.g. 25 instead
 * of 2,560 for a 5-shot episode with 512-d features.
 */
export function fitLogisticRegression(support: FeatureMatrix, labels: ArrayLike<number>, options: LogisticRegressionOptions = {}): LogisticRegression {
  const fn = 'fitLogisticRegression';
  const C = options.C ?? 1;
  const maxIter = options.maxIter ?? 1000;
  const gradTol = options.gradTol ?? 1e-9;
  const normalize = options.normalize ?? true;
  if (!(C > 0) || !Number.isFinite(C)) throw new Error(`${fn}: C must be a finite number > 0, got ${C}`);
  if (!Number.isInteger(maxIter) || maxIter < 1) throw new Error(`${fn}: maxIter must be a positive integer, got ${maxIter}`);
  let rows = toRows(fn, 'support', support);
  if (rows.length === 0) throw new Error(`${fn}: support is empty`);
  if (normalize) rows = rows.map(normalizeRow);
  const y0 = toLabels(fn, 'labels', labels, rows.length);
  const classes = [...new Set(y0)].sort((a, b) => a - b);
  if (classes.length < 2) throw new Error(`${fn}: support needs at least 2 classes, got ${classes.length} (${classes.join(', ')})`);
  const index = new Map(classes.map((c, i) => [c, i]));
  const y = y0.map((v) => index.get(v)!);
  const k = classes.length;
  const dim = rows[0]!.length;
  const basis = rowSpanBasis(rows);
  const r = basis.length;
  const z = rows.map((x) => Float64Array.from(basis, (q) => dot(x, q)));
  const theta = new Float64Array(r * k + k);
  const { iterations, converged } = lbfgs((t, g) => objective(t, z, y, r, k, C, g), theta, maxIter, gradTol);
  const coef = new Float64Array(dim * k);
  for (let j = 0; j < r; j++) {
    const q = basis[j]!;
    for (let d = 0; d < dim; d++) {
      const qd = q[d]!;
      if (qd === 0) continue;
      for (let c = 0; c < k; c++) coef[d * k + c] = coef[d * k + c]! + qd * theta[j * k + c]!;
    }
  }
  const intercept = theta.slice(r * k);
  const meanB = intercept.reduce((s, v) => s + v, 0) / k;
  for (let c = 0; c < k; c++) intercept[c] = intercept[c]! - meanB;

  const predictProba = (query: FeatureMatrix): Float64Array => {
    let q = toRows('LogisticRegression.predictProba', 'query', query);
    if (q.length > 0 && q[0]!.length !== dim) throw new Error(`LogisticRegression.predictProba: query has ${q[0]!.length} features, the model was fitted on ${dim}`);
    if (normalize) q = q.map(normalizeRow);
    const out = new Float64Array(q.length * k);
    const logits = new Float64Array(k);
    q.forEach((x, i) => {
      let max = -Infinity;
      for (let c = 0; c < k; c++) {
        let s = intercept[c]!;
        for (let d = 0; d < dim; d++) s += x[d]! * coef[d * k + c]!;
        logits[c] = s;
        max = Math.max(max, s);
      }
      let sum = 0;
      for (let c = 0; c < k; c++) sum += Math.exp(logits[c]! - max);
      for (let c = 0; c < k; c++) out[i * k + c] = Math.exp(logits[c]! - max) / sum;
    });
    return out;
  };
  const predict = (query: FeatureMatrix): Int32Array => argmaxRows(predictProba(query), k, classes);
  return { classes, dim, coef, intercept, iterations, converged, normalize, predictProba, predict };
}

/** Row-wise argmax of a row-major [n, k] array, mapped through `classes` (first maximum wins, as NumPy). */
export function argmaxRows(p: ArrayLike<number>, k: number, classes?: readonly number[]): Int32Array {
  const n = p.length / k;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < k; c++) if (p[i * k + c]! > p[i * k + best]!) best = c;
    out[i] = classes ? classes[best]! : best;
  }
  return out;
}
