import * as tf from '@tensorflow/tfjs-core';
import seedrandom from 'seedrandom';

/** Serialisable RNG state (saved in checkpoints so resumed runs draw the same numbers). */
export type RngState = { seed: string; alea: object };

/**
 * Seeded random numbers for data order, augmentation and method noise (seedrandom's Alea generator,
 * whose state can be saved and restored). Tensors are generated on the JS side, so the same seed gives
 * the same numbers on every backend.
 */
export class Rng {
  private gen: StatefulAlea;
  private seedValue: string;
  private spareNormal: number | null = null;

  constructor(seed: number | string, state?: object) {
    this.seedValue = String(seed);
    this.gen = makeAlea(this.seedValue, state);
  }

  /** The seed this generator was created with (or the one of the state restored by {@link setState}). */
  get seed(): string {
    return this.seedValue;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.gen.double();
  }

  /** Uniform in [lo, hi). */
  uniform(lo = 0, hi = 1): number {
    return lo + (hi - lo) * this.next();
  }

  /** Integer in [0, n). */
  int(n: number): number {
    if (!(n > 0)) throw new Error(`Rng.int: n must be positive, got ${n}`);
    return Math.floor(this.next() * n);
  }

  /** Standard normal (Box–Muller). */
  normal(mean = 0, std = 1): number {
    if (this.spareNormal !== null) {
      const s = this.spareNormal;
      this.spareNormal = null;
      return mean + std * s;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + std * r * Math.cos(2 * Math.PI * v);
  }

  /** Bernoulli(p). */
  bernoulli(p: number): boolean {
    return this.next() < p;
  }

  /** Fisher–Yates shuffle in place; returns the array. */
  shuffle<T>(a: T[]): T[] {
    for (let i = a.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [a[i], a[j]] = [a[j]!, a[i]!];
    }
    return a;
  }

  /** A random permutation of 0..n-1. */
  permutation(n: number): number[] {
    return this.shuffle(Array.from({ length: n }, (_, i) => i));
  }

  /** `k` distinct indices from 0..n-1 (k ≤ n). */
  sample(n: number, k: number): number[] {
    if (k > n) throw new Error(`Rng.sample: cannot draw ${k} distinct items from ${n}`);
    return this.permutation(n).slice(0, k);
  }

  /** Float32 array of uniforms in [lo, hi). */
  uniformArray(size: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** Float32 array of normals. */
  normalArray(size: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(size);
    for (let i = 0; i < size; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Uniform tensor in [lo, hi). */
  uniformTensor(shape: number[], lo = 0, hi = 1): tf.Tensor {
    return tf.tensor(this.uniformArray(shapeSize(shape), lo, hi), shape, 'float32');
  }

  /** Normal tensor. */
  normalTensor(shape: number[], mean = 0, std = 1): tf.Tensor {
    return tf.tensor(this.normalArray(shapeSize(shape), mean, std), shape, 'float32');
  }

  /** 0/1 float tensor with P(1) = p. */
  bernoulliTensor(shape: number[], p: number): tf.Tensor {
    const n = shapeSize(shape);
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.next() < p ? 1 : 0;
    return tf.tensor(out, shape, 'float32');
  }

  /** An independent child generator (e.g. one per data worker), derived deterministically. */
  fork(label: string): Rng {
    return new Rng(`${this.seed}/${label}/${this.int(2 ** 31)}`);
  }

  /** Current state, JSON-serialisable. */
  state(): RngState {
    this.spareNormal = null; // the cached normal is not part of the saved state: drop it for exact resume
    return { seed: this.seed, alea: this.gen.state() };
  }

  /** Restore from {@link state}. */
  static fromState(s: RngState): Rng {
    return new Rng(s.seed, s.alea);
  }

  /** Replace this generator's state in place (its seed too, so `fork` and `state` continue as the saved one). */
  setState(s: RngState): void {
    this.seedValue = s.seed;
    this.gen = makeAlea(s.seed, s.alea);
    this.spareNormal = null;
  }
}

interface StatefulAlea {
  double(): number;
  state(): object;
}

function makeAlea(seed: string, state?: object): StatefulAlea {
  // seedrandom's typings do not model restoring from a saved state object.
  const alea = seedrandom.alea as unknown as (seed: string, opts: { state: object | true }) => StatefulAlea;
  return alea(seed, { state: state ?? true });
}

function shapeSize(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

let globalGenerator = new Rng(0);

/** Seed the process-wide generator used by layers (dropout) and methods when no `Rng` is passed. */
export function setGlobalSeed(seed: number | string): void {
  globalGenerator = new Rng(seed);
}

/** The process-wide generator (seed 0 until {@link setGlobalSeed}). */
export function globalRng(): Rng {
  return globalGenerator;
}
