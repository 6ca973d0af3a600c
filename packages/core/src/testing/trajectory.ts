import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, toTensorMap } from '../io/safetensors';

/** A flat tensor of a trajectory fixture. */
export interface TrajectoryTensor {
  shape: number[];
  data: number[];
}

/** What every `trajectory-<name>/trajectory.json` holds (plus fixture-specific fields). */
export interface TrajectoryDoc {
  what: string;
  steps: number;
  expected: { losses: number[]; final?: Record<string, TrajectoryTensor>; [k: string]: unknown };
  [k: string]: unknown;
}

/**
 * Read a trajectory-parity fixture written by a reference script: `trajectory.json` and the initial weights
 * `init.safetensors` (tensor names of the LEL model, its layout). The caller disposes the tensors.
 */
export function readTrajectoryFixture<D extends TrajectoryDoc = TrajectoryDoc>(dir: string): { doc: D; init: Map<string, tf.Tensor> } {
  const doc = JSON.parse(readFileSync(join(dir, 'trajectory.json'), 'utf8')) as D;
  const init = toTensorMap(parseSafetensors(new Uint8Array(readFileSync(join(dir, 'init.safetensors')))));
  return { doc, init };
}

/** Tolerances of {@link compareTrajectory}: relative per-step loss error for the first steps and for all. */
export interface TrajectoryTolerance {
  /** Steps held to `firstRtol` (default 10). */
  firstSteps?: number;
  /** Default 1e-4. */
  firstRtol?: number;
  /** Relative error allowed on every later loss (float32 drift over the run). */
  rtol: number;
}

/**
 * Per-step loss comparison of a run against its reference: returns a list of failures (empty = parity),
 * each naming the step, both values and the relative error, plus the worst relative error seen.
 */
export function compareTrajectory(actual: readonly number[], expected: readonly number[], tol: TrajectoryTolerance): { failures: string[]; worst: number } {
  const failures: string[] = [];
  if (actual.length !== expected.length) failures.push(`ran ${actual.length} steps, the reference ${expected.length}`);
  let worst = 0;
  const first = tol.firstSteps ?? 10;
  for (let i = 0; i < Math.min(actual.length, expected.length); i++) {
    const rel = Math.abs(actual[i]! - expected[i]!) / Math.max(1e-12, Math.abs(expected[i]!));
    worst = Math.max(worst, rel);
    const limit = i < first ? (tol.firstRtol ?? 1e-4) : tol.rtol;
    if (!(rel <= limit)) failures.push(`step ${i + 1}: loss ${actual[i]} vs reference ${expected[i]} (relative error ${rel.toExponential(2)} > ${limit})`);
  }
  return { failures, worst };
}

/** Largest |actual − expected| over a tensor's values (lengths must match). */
export function maxAbsDiff(actual: ArrayLike<number>, expected: TrajectoryTensor): number {
  if (actual.length !== expected.data.length) return Infinity;
  let m = 0;
  for (let i = 0; i < actual.length; i++) m = Math.max(m, Math.abs(actual[i]! - expected.data[i]!));
  return m;
}
