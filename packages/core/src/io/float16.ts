// IEEE half (F16) and bfloat16 (BF16) conversions through float32 bits. Encoding rounds to nearest,
// ties to even, as PyTorch's `.half()` / `.bfloat16()` do.

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** float32 value of IEEE binary16 bits `h`. */
export function f16BitsToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24; // zero and subnormals
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

/** IEEE binary16 bits of `x` (first rounded to float32), round-to-nearest-even; overflow gives ±Infinity. */
export function floatToF16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  const sign = (b >>> 16) & 0x8000;
  const exp = (b >>> 23) & 0xff;
  let mant = b & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 | (mant >>> 13) : 0); // Inf, or NaN kept quiet
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    // Subnormal half (or zero): shift the 24-bit significand down to units of 2^-24.
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rem > halfway || (rem === halfway && half & 1)) half++;
    return sign | half; // a carry into the exponent field is the correct result
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && half & 1)) half++; // may carry up to Infinity, as it should
  return sign | half;
}

/** float32 value of bfloat16 bits `h` (the upper half of a float32). */
export function bf16BitsToFloat(h: number): number {
  u32[0] = (h & 0xffff) << 16;
  return f32[0]!;
}

/** bfloat16 bits of `x` (first rounded to float32), round-to-nearest-even; NaN stays a quiet NaN. */
export function floatToBf16Bits(x: number): number {
  f32[0] = x;
  const b = u32[0]!;
  if ((b & 0x7f800000) === 0x7f800000 && b & 0x7fffff) return ((b >>> 16) & 0x8000) | 0x7fc0;
  const lsb = (b >>> 16) & 1;
  return Math.floor((b + 0x7fff + lsb) / 0x10000) & 0xffff;
}
