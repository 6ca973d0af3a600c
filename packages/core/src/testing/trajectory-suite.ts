import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, test } from 'vitest';
import { useBackend } from '../backend';
import { settleDeviceChecks } from '../device-checks';
import { readSafetensorsFile } from '../io/safetensors-file';
import { toTensorMap } from '../io/safetensors';
import { testBackends, webgpuSkipReason } from './backends';

/**
 * Steps a trajectory runs on webgpu unless the suite says otherwise (env `LEL_WEBGPU_TRAJECTORY_STEPS` overrides):
 * CI's webgpu pass runs on lavapipe, a software Vulkan on the CPU, where a step costs seconds.
 */
const WEBGPU_STEPS = Number(process.env.LEL_WEBGPU_TRAJECTORY_STEPS ?? 3);

/**
 * How many steps of a `total`-step trajectory to run on `backend`: all of them, except on webgpu (see
 * {@link WEBGPU_STEPS}), where the first steps' losses are compared and the final weights are not.
 */
export function trajectoryStepLimit(backend: string, total: number): number {
  return backend === 'webgpu' ? Math.min(total, WEBGPU_STEPS) : total;
}

/** Tolerances of a trajectory comparison (stated in the fixture, written by its reference script). */
export interface SuiteTolerance {
  /** The first this many steps are compared with `firstStepsRtol` (relative, per loss part). */
  firstSteps: number;
  firstStepsRtol: number;
  /** Every step: |a − e| ≤ lossAtol + lossRtol·|e| per loss part. */
  lossRtol: number;
  lossAtol: number;
  /** Final weights and buffers: |a − e| ≤ weightAtol + weightRtol·|e| element-wise. */
  weightAtol: number;
  weightRtol: number;
  /**
   * Final tensors not compared, with the reason (e.g. a bias right before a training-mode BatchNorm: its true
   * gradient is 0, so Adam turns each framework's rounding noise into ±lr steps that the loss never sees).
   */
  skipWeights?: Record<string, string>;
}

/**
 * A trajectory fixture written by a reference script (`reference/<area>/trajectory_*.py`): a JSON document (the
 * config, per-step loss parts, tolerances) and a safetensors file beside it with the data (`data.*`), the initial
 * weights (`init.*`) and the reference's final weights (`final.*`).
 */
export interface SuiteFixture<D = Record<string, unknown>> {
  path: string;
  doc: D & { generator: string; what: string; steps: Record<string, number>[]; tolerance: SuiteTolerance };
  /** Every tensor of the safetensors file (floats as float32, integers as int32); dispose with {@link disposeFixture}. */
  tensors: Map<string, tf.Tensor>;
  /** The tensors under `prefix.` with the prefix removed (views of `tensors`, not copies). */
  group(prefix: string): Map<string, tf.Tensor>;
}

/** Read a trajectory fixture (JSON path; the safetensors file has the same name). */
export async function loadSuiteFixture<D = Record<string, unknown>>(json: string | URL): Promise<SuiteFixture<D>> {
  const path = typeof json === 'string' ? json : fileURLToPath(json);
  const doc = JSON.parse(readFileSync(path, 'utf8')) as SuiteFixture<D>['doc'];
  if (!Array.isArray(doc.steps) || !doc.tolerance) throw new Error(`trajectory: ${path} has no "steps" array or "tolerance"`);
  const tensors = toTensorMap(await readSafetensorsFile(path.replace(/\.json$/, '.safetensors')));
  return {
    path,
    doc,
    tensors,
    group(prefix: string) {
      const out = new Map<string, tf.Tensor>();
      for (const [k, v] of tensors) if (k.startsWith(`${prefix}.`)) out.set(k.slice(prefix.length + 1), v);
      return out;
    },
  };
}

/** Dispose a fixture's tensors. */
export function disposeSuiteFixture(f: SuiteFixture<unknown>): void {
  tf.dispose([...f.tensors.values()]);
}

/**
 * Compare per-step loss parts with the reference's: every part the reference recorded must be present; the first
 * `firstSteps` steps within `firstStepsRtol` (relative), all steps within lossAtol + lossRtol·|e|. Returns the
 * failures (empty when the trajectories agree).
 */
export function compareStepParts(actual: readonly Record<string, number>[], expected: readonly Record<string, number>[], tol: SuiteTolerance, parts?: readonly string[]): string[] {
  const out: string[] = [];
  if (actual.length !== expected.length) out.push(`ran ${actual.length} steps, the reference ${expected.length}`);
  const n = Math.min(actual.length, expected.length);
  for (let s = 0; s < n; s++) {
    for (const k of parts ?? Object.keys(expected[s]!)) {
      const e = expected[s]![k];
      const a = actual[s]![k];
      if (e === undefined) continue;
      if (a === undefined) {
        out.push(`step ${s}: LEL recorded no "${k}"`);
        continue;
      }
      const first = s < tol.firstSteps;
      const bound = first ? tol.firstStepsRtol * Math.abs(e) + 1e-12 : tol.lossAtol + tol.lossRtol * Math.abs(e);
      if (!(Math.abs(a - e) <= bound)) out.push(`step ${s} ${k}: LEL ${a}, reference ${e} (|diff| ${Math.abs(a - e).toExponential(2)} > ${bound.toExponential(2)}${first ? ', first steps' : ''})`);
    }
  }
  return out;
}

/** Compare final weights/buffers (by name) with the reference's; returns the failures with the worst element. */
export async function compareFinalState(actual: Map<string, tf.Tensor>, expected: Map<string, tf.Tensor>, tol: Pick<SuiteTolerance, 'weightAtol' | 'weightRtol' | 'skipWeights'>): Promise<string[]> {
  const out: string[] = [];
  for (const [name, e] of expected) {
    if (tol.skipWeights?.[name] !== undefined) continue;
    const a = actual.get(name);
    if (!a) {
      out.push(`${name}: missing in LEL's state`);
      continue;
    }
    if (!tf.util.arraysEqual(a.shape, e.shape)) {
      out.push(`${name}: shape [${a.shape}] vs reference [${e.shape}]`);
      continue;
    }
    const [av, ev] = await Promise.all([a.data(), e.data()]);
    let worst = -1;
    let excess = 0;
    for (let i = 0; i < ev.length; i++) {
      const d = Math.abs(av[i]! - ev[i]!) - (tol.weightAtol + tol.weightRtol * Math.abs(ev[i]!));
      if (!(d <= 0) && (worst < 0 || d > excess)) {
        worst = i;
        excess = d;
      }
    }
    if (worst >= 0) out.push(`${name}[${worst}]: LEL ${av[worst]}, reference ${ev[worst]}`);
  }
  return out;
}

/** Print the largest relative difference of each loss part over the first 10 steps and over all steps (LEL_TRAJECTORY_REPORT=1). */
function reportDrift(name: string, backend: string, actual: readonly Record<string, number>[], expected: readonly Record<string, number>[]): void {
  const worst: Record<string, [number, number]> = {};
  expected.forEach((e, s) => {
    for (const [k, v] of Object.entries(e)) {
      const a = actual[s]?.[k];
      if (a === undefined) continue;
      const rel = Math.abs(a - v) / Math.max(Math.abs(v), 1e-12);
      const w = (worst[k] ??= [0, 0]);
      if (s < 10) w[0] = Math.max(w[0], rel);
      w[1] = Math.max(w[1], rel);
    }
  });
  if (process.env.LEL_TRAJECTORY_REPORT === 'steps') {
    expected.forEach((e, s) => process.stderr.write(`  step ${s}: ${Object.entries(e).map(([k, v]) => `${k} ${(Math.abs((actual[s]?.[k] ?? NaN) - v) / Math.max(Math.abs(v), 1e-12)).toExponential(1)}`).join(' ')}\n`));
  }
  process.stderr.write(`[trajectory] ${name} [${backend}] largest relative difference (first 10 steps / all): ${Object.entries(worst).map(([k, [a, b]]) => `${k} ${a.toExponential(1)} / ${b.toExponential(1)}`).join(', ')}\n`);
}

/** What a trajectory run returns: its per-step loss parts and final state by name. */
export interface SuiteRun {
  steps: Record<string, number>[];
  /** Final weights and buffers (LEL's state-dict names). The caller's; disposed by the harness. */
  state: Map<string, tf.Tensor>;
}

/**
 * The trajectory parity test: for every backend (`testBackends()`), load the fixture, run LEL's training with
 * `run`, and require its per-step losses and final weights to match the reference's within the fixture's tolerances.
 */
export function describeTrajectory<D = Record<string, unknown>>(
  name: string,
  json: string | URL,
  run: (fixture: SuiteFixture<D>, steps: number) => Promise<SuiteRun>,
  options: {
    backends?: string[];
    timeout?: number;
    parts?: string[];
    /**
     * Steps to run per backend when fewer than the fixture's (e.g. `{ cpu: 12 }`: the pure-JavaScript backend is
     * slow): those steps' losses are compared, the final weights only after a full run. `webgpu` defaults to
     * {@link WEBGPU_STEPS}.
     */
    steps?: Record<string, number>;
    /** Backend → why this suite does not run there (shown as the skip reason). */
    skip?: Record<string, string>;
  } = {},
): void {
  for (const backend of options.backends ?? testBackends()) {
    describe(`trajectory ${name} [${backend}]`, () => {
      test(
        'per-step losses and final weights match the PyTorch reference',
        async (t) => {
          if (options.skip?.[backend]) t.skip(`${backend}: ${options.skip[backend]}`);
          if (backend === 'webgpu') {
            const reason = await webgpuSkipReason();
            if (reason) t.skip(`webgpu: ${reason}`);
          }
          await useBackend(backend as never);
          const fixture = await loadSuiteFixture<D>(json);
          const total = fixture.doc.steps.length;
          const steps = Math.min(total, options.steps?.[backend] ?? (backend === 'webgpu' ? WEBGPU_STEPS : total));
          const expected = fixture.doc.steps.slice(0, steps);
          const before = tf.memory().numTensors;
          try {
            const r = await run(fixture, steps);
            if (process.env.LEL_TRAJECTORY_REPORT) reportDrift(name, backend, r.steps, expected);
            const failures = [...compareStepParts(r.steps, expected, fixture.doc.tolerance, options.parts), ...(steps === total ? await compareFinalState(r.state, fixture.group('final'), fixture.doc.tolerance) : [])];
            tf.dispose([...r.state.values()]);
            // GPU backends keep the last device-side value checks until the next read: release them before counting.
            await settleDeviceChecks();
            expect(failures.slice(0, 12), `${fixture.doc.what}\n(${fixture.doc.generator})`).toEqual([]);
            expect(tf.memory().numTensors).toBe(before);
          } finally {
            disposeSuiteFixture(fixture);
          }
        },
        // Generous: the work is bounded (a few dozen steps), and a shared 2-core machine can be many times slower than an idle one.
        options.timeout ?? 300_000,
      );
    });
  }
}
