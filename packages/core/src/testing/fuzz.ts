import { appendFileSync } from 'node:fs';

/**
 * What a property-based test run reports (the fields of fast-check's `RunDetails` that matter here;
 * declared structurally so @lel/core does not depend on fast-check).
 */
export interface PropertyRunDetails {
  failed: boolean;
  interrupted: boolean;
  numRuns: number;
  numSkips: number;
  seed: number;
  counterexamplePath: string | null;
  counterexample: unknown;
  errorInstance?: unknown;
}

/** Parameters for `fc.check` chosen by {@link fuzzParameters}. */
export interface FuzzParameters {
  seed: number;
  numRuns: number;
  /** Fuzz mode only: stop generating after this many milliseconds (not a failure). */
  interruptAfterTimeLimit?: number;
  markInterruptAsFailure: false;
  /** Replay path of a failure (with its seed), from `LEL_FUZZ_PATH`. */
  path?: string;
  endOnFailure: true;
}

/** The fixed seed of property tests in `pnpm test` (override with `LEL_FUZZ_SEED`). */
export const PROPERTY_TEST_SEED = 24;

function envInt(name: string): number | undefined {
  const v = process.env[name];
  if (v === undefined || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw new Error(`${name} must be an integer, got ${JSON.stringify(v)}`);
  return n;
}

/** Whether the property tests run under `pnpm fuzz` (`LEL_FUZZ=1`): many cases, a random seed, a time limit. */
export function isFuzzMode(): boolean {
  return process.env.LEL_FUZZ === '1';
}

/**
 * Parameters of one property run. In `pnpm test`: the fixed {@link PROPERTY_TEST_SEED} and `testRuns`
 * cases (a few hundred, fast). Under `pnpm fuzz` (`LEL_FUZZ=1`): the seed `LEL_FUZZ_SEED` (the fuzz script
 * draws it at random and prints it), up to `LEL_FUZZ_RUNS` cases, cut at `LEL_FUZZ_TIME_MS` per property.
 * `LEL_FUZZ_SEED` + `LEL_FUZZ_PATH` (+ `LEL_FUZZ_ONLY`, the property's name) replay a reported failure.
 */
export function fuzzParameters(testRuns = 200): FuzzParameters {
  const fuzz = isFuzzMode();
  const seed = envInt('LEL_FUZZ_SEED') ?? PROPERTY_TEST_SEED;
  const p: FuzzParameters = { seed, numRuns: fuzz ? (envInt('LEL_FUZZ_RUNS') ?? 1_000_000) : testRuns, markInterruptAsFailure: false, endOnFailure: true };
  const time = envInt('LEL_FUZZ_TIME_MS');
  if (fuzz && time !== undefined) p.interruptAfterTimeLimit = time;
  const path = process.env.LEL_FUZZ_PATH;
  if (path) p.path = path;
  return p;
}

function preview(value: unknown, max = 600): string {
  let s: string;
  try {
    s = JSON.stringify(value, (_k, v: unknown) => {
      if (v instanceof Uint8Array) return `Uint8Array(${v.length})[${Array.from(v.subarray(0, 64)).join(',')}${v.length > 64 ? ',…' : ''}]`;
      if (typeof v === 'bigint') return `${v}n`;
      return v;
    });
  } catch {
    s = String(value);
  }
  return s.length > max ? `${s.slice(0, max)}…` : s;
}

/**
 * Run one property (`check` receives the {@link fuzzParameters}; pass them to `fc.check`) and throw, naming
 * the property, its seed and replay path and the shrunk counterexample, when it fails. Under `pnpm fuzz`
 * the outcome (cases run, time) is appended to `LEL_FUZZ_REPORT` for the summary. With `LEL_FUZZ_ONLY` set
 * to another property's name it does nothing (returns undefined).
 */
export async function runProperty(name: string, check: (params: FuzzParameters) => PropertyRunDetails | Promise<PropertyRunDetails>, testRuns = 200): Promise<PropertyRunDetails | undefined> {
  const only = process.env.LEL_FUZZ_ONLY;
  if (only && only !== name) return undefined; // replaying another property
  const params = fuzzParameters(testRuns);
  const started = performance.now();
  const details = await check(params);
  const ms = Math.round(performance.now() - started);
  const report = process.env.LEL_FUZZ_REPORT;
  if (report) {
    appendFileSync(report, JSON.stringify({ name, seed: details.seed, runs: details.numRuns, skips: details.numSkips, failed: details.failed, ms, path: details.counterexamplePath }) + '\n');
  }
  if (details.failed) {
    const err = details.errorInstance;
    const why = err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    throw new Error(
      `property "${name}" failed after ${details.numRuns} case(s) (seed ${details.seed}, path ${details.counterexamplePath}).\n` +
        `  counterexample: ${preview(details.counterexample)}\n  error: ${why.slice(0, 2000)}\n` +
        `  replay: pnpm fuzz --only ${JSON.stringify(name)} --seed ${details.seed} --path ${details.counterexamplePath}`,
      { cause: err },
    );
  }
  return details;
}
