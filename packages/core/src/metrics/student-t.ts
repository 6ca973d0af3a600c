// Student t quantile, hand-written: no small, well-kept JS library gives it to 1e-8 without pulling in a
// large dependency tree, and the maths is short: the regularized incomplete beta function (continued
// fraction, as in Numerical Recipes §6.4) inverted by Newton's method safeguarded with bisection.

// Lanczos approximation (g = 7, n = 9), relative error about 1e-15 for x > 0.
const LANCZOS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/** ln Γ(x) for x > 0. */
export function logGamma(x: number): number {
  if (!(x > 0)) throw new Error(`logGamma: x must be > 0, got ${x}`);
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x); // reflection
  const z = x - 1;
  let s = LANCZOS[0]!;
  for (let i = 1; i < LANCZOS.length; i++) s += LANCZOS[i]! / (z + i);
  const t = z + 7.5;
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(s);
}

function logBeta(a: number, b: number): number {
  return logGamma(a) + logGamma(b) - logGamma(a + b);
}

// Continued fraction of I_x(a, b) (modified Lentz), converging fast for x < (a + 1) / (a + b + 2).
function betaContinuedFraction(x: number, a: number, b: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 100_000; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-16) return h;
  }
  throw new Error(`incomplete beta: continued fraction did not converge (x=${x}, a=${a}, b=${b})`);
}

/** Regularized incomplete beta function I_x(a, b) for a, b > 0 and x in [0, 1]. */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) throw new Error(`regularizedIncompleteBeta: a and b must be > 0, got a=${a}, b=${b}`);
  if (!(x >= 0 && x <= 1)) throw new Error(`regularizedIncompleteBeta: x must be in [0, 1], got ${x}`);
  if (x === 0 || x === 1) return x;
  const front = Math.exp(a * Math.log(x) + b * Math.log1p(-x) - logBeta(a, b));
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(1 - x, b, a)) / b;
}

// Solves I_x(a, b) = target for x in (0, 1): Newton steps on the monotone CDF, falling back to bisection
// whenever a step would leave the bracket; stops at relative precision ~1e-15.
function inverseIncompleteBeta(target: number, a: number, b: number): number {
  const lb = logBeta(a, b);
  let lo = 0;
  let hi = 1;
  let x = 0.5;
  for (let i = 0; i < 2000; i++) {
    const f = regularizedIncompleteBeta(x, a, b) - target;
    if (f === 0) return x;
    if (f < 0) lo = x;
    else hi = x;
    const density = Math.exp((a - 1) * Math.log(x) + (b - 1) * Math.log1p(-x) - lb);
    let next = x - f / density;
    if (!(next > lo && next < hi)) next = 0.5 * (lo + hi);
    if (Math.abs(next - x) <= 1e-15 * Math.max(x, 1e-300) || next === x) return next;
    x = next;
  }
  return x;
}

/**
 * Quantile of Student's t distribution with `df` degrees of freedom: the t with P(T ≤ t) = p
 * (scipy `stats.t.ppf`). Accurate to about 1e-12 relative for ordinary p and df.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`studentTQuantile: p must be in (0, 1), got ${p}`);
  if (!(df > 0) || !Number.isFinite(df)) throw new Error(`studentTQuantile: df must be a finite number > 0, got ${df}`);
  if (p === 0.5) return 0;
  const upper = p > 0.5;
  // Two-sided tail probability P(|T| > |t|) = I_{df/(df+t²)}(df/2, 1/2).
  const twoTail = upper ? 2 * (1 - p) : 2 * p;
  let t: number;
  if (twoTail < 0.5) {
    const x = inverseIncompleteBeta(twoTail, df / 2, 0.5);
    t = Math.sqrt((df * (1 - x)) / x);
  } else {
    // Near the median solve for y = t²/(df+t²) instead, so 1 − x never cancels.
    const y = inverseIncompleteBeta(1 - twoTail, 0.5, df / 2);
    t = Math.sqrt((df * y) / (1 - y));
  }
  return upper ? t : -t;
}
