import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describe, test } from 'vitest';
import { testBackends, webgpuSkipReason } from './backends';
import { useBackend } from '../backend';
import { settleDeviceChecks } from '../device-checks';

/** A tensor in a golden file: flat row-major data. */
export interface GoldenTensor {
  shape: number[];
  data: number[];
}

/** A golden value: tensor, scalar, string, boolean, or nested object/array. */
export type GoldenValue = GoldenTensor | number | string | boolean | null | GoldenValue[] | { [k: string]: GoldenValue };

/** One case of a `../shared/golden/<package>.json` file (see FORMAT.md). */
export interface GoldenCase {
  kind: string;
  name: string;
  what: string;
  inputs: Record<string, GoldenValue>;
  params: Record<string, GoldenValue>;
  expected: Record<string, GoldenValue> | 'error';
  atol: number;
  rtol: number;
}

/** A whole golden file. */
export interface GoldenFile {
  package: string;
  conventions?: string;
  cases: GoldenCase[];
  /** Absolute path of the file (checkpoint paths are relative to its folder). */
  path: string;
}

/** True when `v` is a golden tensor `{shape, data}`. */
export function isGoldenTensor(v: unknown): v is GoldenTensor {
  return typeof v === 'object' && v !== null && Array.isArray((v as GoldenTensor).shape) && Array.isArray((v as GoldenTensor).data);
}

/** Read a golden file; env `LEL_GOLDEN` (when set) replaces `defaultPath`. */
export function loadGoldenFile(defaultPath: string | URL): GoldenFile {
  const fromEnv = process.env.LEL_GOLDEN;
  const p = fromEnv ? resolve(fromEnv) : typeof defaultPath === 'string' ? defaultPath : fileURLToPath(defaultPath);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(p, 'utf8'));
  } catch (e) {
    throw new Error(`golden: cannot read case file ${p}: ${(e as Error).message}`);
  }
  const file = raw as Omit<GoldenFile, 'path'>;
  if (!file || !Array.isArray(file.cases)) throw new Error(`golden: ${p} has no "cases" array`);
  return { ...file, path: p };
}

/** Element-wise |a − e| ≤ atol + rtol·|e|; returns a description of the worst violation or null. */
export function compareClose(actual: ArrayLike<number>, expected: ArrayLike<number>, atol: number, rtol: number): string | null {
  if (actual.length !== expected.length) return `length ${actual.length} != expected ${expected.length}`;
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!;
    const e = expected[i]!;
    const tol = atol + rtol * Math.abs(e);
    const err = Math.abs(a - e);
    if (!(err <= tol) || Number.isNaN(a) !== Number.isNaN(e)) {
      const excess = Number.isNaN(err) ? Infinity : err - tol;
      if (worst < 0 || excess > worstExcess) {
        worst = i;
        worstExcess = excess;
      }
    }
  }
  if (worst < 0) return null;
  return `element ${worst}: got ${actual[worst]}, expected ${expected[worst]} (atol ${atol}, rtol ${rtol})`;
}

/** What a golden handler gets: typed access to the case and comparison helpers. */
export class GoldenContext {
  // Comparisons of tensors read asynchronously (every backend, webgpu included); `settle()` awaits them.
  private readonly pending: Promise<void>[] = [];

  constructor(
    readonly goldenCase: GoldenCase,
    readonly file: GoldenFile,
  ) {}

  /** Compare `t`'s values with `check` once they are read (a copy is held, so `t` may be disposed at once). */
  private whenRead(t: tf.Tensor, check: (values: ArrayLike<number>) => void): void {
    const held = tf.keep(t.clone());
    const p = held
      .data()
      .then((v) => check(v as ArrayLike<number>))
      .finally(() => held.dispose());
    p.catch(() => undefined); // reported by settle(), not as an unhandled rejection
    this.pending.push(p);
  }

  /**
   * Wait for every pending tensor comparison and throw the first failure. {@link describeGolden} calls it after
   * each handler; handlers that read tensors themselves may call it earlier.
   */
  async settle(): Promise<void> {
    const results = await Promise.allSettled(this.pending.splice(0));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  get params(): Record<string, GoldenValue> {
    return this.goldenCase.params ?? {};
  }

  /** Whether this case expects the input to be rejected. */
  get expectsError(): boolean {
    return this.goldenCase.expected === 'error';
  }

  private raw(name: string): GoldenValue {
    const v = this.goldenCase.inputs?.[name];
    if (v === undefined) throw new Error(`golden ${this.goldenCase.name}: no input "${name}"`);
    return v;
  }

  /** Input tensor as float32. */
  input(name: string): tf.Tensor {
    const v = this.raw(name);
    if (!isGoldenTensor(v)) throw new Error(`golden ${this.goldenCase.name}: input "${name}" is not a tensor`);
    return tf.tensor(v.data, v.shape, 'float32');
  }

  /** Input tensor as int32 (labels, masks, indices). */
  inputInt(name: string): tf.Tensor {
    const v = this.raw(name);
    if (!isGoldenTensor(v)) throw new Error(`golden ${this.goldenCase.name}: input "${name}" is not a tensor`);
    return tf.tensor(v.data, v.shape, 'int32');
  }

  /** Whether the case has input `name`. */
  hasInput(name: string): boolean {
    return this.goldenCase.inputs?.[name] !== undefined;
  }

  /** Raw input value (tensor object, number, nested object). */
  inputValue<T = GoldenValue>(name: string): T {
    return this.raw(name) as T;
  }

  /** A parameter; `fallback` when absent, error when absent and no fallback. */
  param<T = number>(name: string, fallback?: T): T {
    const v = this.params[name];
    if (v === undefined || v === null) {
      if (fallback !== undefined) return fallback;
      throw new Error(`golden ${this.goldenCase.name}: no param "${name}"`);
    }
    return v as T;
  }

  /** Expected value by name. */
  expected<T = GoldenValue>(name: string): T {
    const exp = this.goldenCase.expected;
    if (exp === 'error') throw new Error(`golden ${this.goldenCase.name}: expects an error, has no "${name}"`);
    const v = exp[name];
    if (v === undefined) throw new Error(`golden ${this.goldenCase.name}: no expected "${name}"`);
    return v as T;
  }

  hasExpected(name: string): boolean {
    return this.goldenCase.expected !== 'error' && this.goldenCase.expected[name] !== undefined;
  }

  /** Absolute path of a checkpoint named relative to the case file. */
  resolvePath(rel: string): string {
    return isAbsolute(rel) ? rel : resolve(dirname(this.file.path), rel);
  }

  /**
   * Compare `actual` with expected `name` using the case tolerances (or `tol`). Tensors are also
   * shape-checked (at once) and their values compared when read (asynchronously: the failure, naming the
   * worst element, is thrown by {@link settle}); arrays and numbers are compared at once.
   */
  expectClose(name: string, actual: tf.Tensor | number | ArrayLike<number>, tol?: { atol?: number; rtol?: number }): void {
    const exp = this.expected(name);
    const atol = tol?.atol ?? this.goldenCase.atol ?? 0;
    const rtol = tol?.rtol ?? this.goldenCase.rtol ?? 0;
    const e: ArrayLike<number> = isGoldenTensor(exp) ? exp.data : typeof exp === 'number' ? [exp] : (exp as number[]);
    const check = (a: ArrayLike<number>) => {
      const err = compareClose(a, e, atol, rtol);
      if (err) throw new Error(`golden ${this.goldenCase.name}: "${name}" differs at ${err}`);
    };
    if (actual instanceof tf.Tensor) {
      if (isGoldenTensor(exp) && !tf.util.arraysEqual(actual.shape, exp.shape)) {
        throw new Error(`golden ${this.goldenCase.name}: "${name}" has shape [${actual.shape}], expected [${exp.shape}]`);
      }
      this.whenRead(actual, check);
    } else check(typeof actual === 'number' ? [actual] : actual);
  }

  /** Exact equality (integer outputs such as counts, mappings, masks); tensors are compared when read (see {@link settle}). */
  expectEqual(name: string, actual: tf.Tensor | number | ArrayLike<number> | boolean | string): void {
    const exp = this.expected(name);
    const e = isGoldenTensor(exp) ? exp.data : exp;
    const check = (a: unknown) => {
      if (JSON.stringify(a) !== JSON.stringify(Array.isArray(e) ? Array.from(e as number[]) : e)) {
        throw new Error(`golden ${this.goldenCase.name}: "${name}" is ${JSON.stringify(a)}, expected ${JSON.stringify(e)}`);
      }
    };
    if (actual instanceof tf.Tensor) this.whenRead(actual, (v) => check(Array.from(v)));
    else check(typeof actual === 'object' ? Array.from(actual) : actual);
  }

  /** For `expected: "error"` cases: `fn` must throw (or queue a device check that fails). */
  async expectRejects(fn: () => unknown): Promise<void> {
    let threw = false;
    try {
      await fn();
      // GPU backends report value checks (labels in range, no NaN) at the next read.
      await settleDeviceChecks();
    } catch {
      threw = true;
    }
    if (!threw) throw new Error(`golden ${this.goldenCase.name}: expected the input to be rejected, but it was accepted`);
  }
}

/** A golden handler for one `kind`. */
export type GoldenHandler = (ctx: GoldenContext) => void | Promise<void>;

/** Options of {@link describeGolden}. */
export interface DescribeGoldenOptions {
  /** Backends to run on (default: {@link testBackends}). */
  backends?: string[];
  /** Per-test timeout in ms. */
  timeout?: number;
  /** Check that no tensor is leaked by a case (default true). */
  checkLeaks?: boolean;
  /** Why a case does not run on a backend (the skip reason), or undefined when it does. */
  skip?: (goldenCase: GoldenCase, backend: string) => string | undefined;
}

/**
 * The shared golden parity test: one vitest test per case (and per backend), dispatching on `kind`,
 * failing on an unknown kind and on leaked tensors. The case file comes from env `LEL_GOLDEN` when set.
 * On `webgpu` without an adapter every case is skipped, with the reason.
 */
export function describeGolden(defaultPath: string | URL, handlers: Record<string, GoldenHandler>, options: DescribeGoldenOptions = {}): void {
  const file = loadGoldenFile(defaultPath);
  const backends = options.backends ?? testBackends();
  for (const backend of backends) {
    describe(`golden ${file.package} [${backend}]`, () => {
      test.for(file.cases)('$name', { timeout: options.timeout ?? 60_000 }, async (c, t) => {
        const handler = handlers[c.kind];
        if (!handler) throw new Error(`golden: unknown kind "${c.kind}" in case ${c.name} (known: ${Object.keys(handlers).join(', ')})`);
        const why = options.skip?.(c, backend);
        if (why) t.skip(`${backend}: ${why}`);
        if (backend === 'webgpu') {
          const reason = await webgpuSkipReason();
          if (reason) t.skip(`webgpu: ${reason}`);
        }
        await useBackend(backend as never);
        const before = tf.memory().numTensors;
        const ctx = new GoldenContext(c, file);
        let failure: unknown;
        try {
          await handler(ctx);
        } catch (e) {
          failure = e;
        }
        // Pending comparisons finish (and release their copies) even when the handler threw; so do the
        // device-side value checks of GPU backends (which would otherwise count as leaked tensors).
        await ctx.settle().catch((e: unknown) => {
          failure ??= e;
        });
        await settleDeviceChecks().catch((e: unknown) => {
          failure ??= e;
        });
        if (failure !== undefined) throw failure;
        const after = tf.memory().numTensors;
        if ((options.checkLeaks ?? true) && after !== before) {
          throw new Error(`golden ${c.name}: leaked ${after - before} tensor(s)`);
        }
      });
    });
  }
}
