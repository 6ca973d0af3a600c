import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ProgressMode, ProgressStream } from '@lel/core';
import { RUN_FILES } from '../run-dir';
import { cellLabel } from './manifest';
import type { PlannedRun, SweepPlan } from './plan';
import type { SweepSpec } from './spec';
import { SweepProgress, sweepEta } from './progress';
import { readRunRecord } from './run-record';
import { runTrainProcess, type AttemptResult, type RunJob, type TrainHandle } from './train-process';

/** Options of {@link runLocalSweep}. */
export interface LocalSweepOptions {
  /** The runs folder (the sweep writes `<runsDir>/<name>/<id>/`). */
  runsDir: string;
  /** Training processes at once (default: one per core). */
  workers?: number;
  backend?: string;
  progress?: ProgressMode;
  stream?: ProgressStream;
  /** Called when a run's training process is started (e.g. to say what it is). */
  onLaunch?: (run: PlannedRun) => void;
}

/** What the pool needs of a plan: its name, its runs and the spec's retries and backend (a sweep's plan, or the demo's). */
export type PoolPlan = Pick<SweepPlan, 'name' | 'runs'> & { spec: Pick<SweepSpec, 'retries' | 'backend'> };

/** What a sweep run came to. */
export interface SweepOutcome {
  /** Ids of the runs finished (now or before). */
  done: string[];
  /** Runs that failed, with the error. */
  failed: { id: string; error: string }[];
  /** Finished before this invocation (skipped). */
  skipped: number;
  /** Stopped by Ctrl-C / SIGTERM before the grid was complete. */
  interrupted: boolean;
}

/** The queue job / pool task of a planned run. */
export function jobOf(plan: PoolPlan, run: PlannedRun, backend?: string): RunJob {
  const b = backend ?? plan.spec.backend;
  return { sweep: plan.name, id: run.id, recipe: run.recipe, config: run.config, sets: run.sets, dir: run.dir, cells: run.cells, ...(b ? { backend: b } : {}) };
}

/** A short label of a run for progress lines: its first cell, and how many more share it. */
export function runLabel(run: Pick<PlannedRun, 'id' | 'cells'>): string {
  const more = run.cells.length > 1 ? ` (+${run.cells.length - 1} cells)` : '';
  return `${run.id} ${cellLabel(run.cells[0]!)}${more}`;
}

function fmtMetrics(m: Record<string, number> | undefined): string {
  return m ? Object.entries(m).map(([k, v]) => `${k}=${Number.isFinite(v) ? v.toFixed(4) : String(v)}`).join(' ') : '';
}

/**
 * Run a sweep on this machine: up to `workers` `lel train` processes at once (one per run, so a crash cannot take
 * the pool down), each writing its usual run folder `<runsDir>/<sweep>/<id>/`. Finished runs are skipped; stopped
 * ones continue from their last checkpoint; a run whose process died is started again (from its checkpoint) up to
 * the spec's `retries` times; a run that fails by itself (bad config, NaN) is reported, not retried. Ctrl-C or SIGTERM
 * (passed on to every training) stops the sweep after each running run saved a checkpoint; running the same command
 * again continues it. A run with `after` starts once those runs are done, and fails without starting when one of
 * them failed.
 */
export async function runLocalSweep(plan: PoolPlan, options: LocalSweepOptions): Promise<SweepOutcome> {
  const workers = Math.max(1, Math.floor(options.workers ?? os.availableParallelism()));
  const progress = new SweepProgress(plan.name, plan.runs.length, { ...(options.progress ? { mode: options.progress } : {}), ...(options.stream ? { stream: options.stream } : {}) });
  const dirOf = (run: PlannedRun) => path.join(options.runsDir, ...run.dir.split('/'));
  const done: string[] = [];
  const failed: { id: string; error: string }[] = [];
  const pending: PlannedRun[] = [];
  for (const run of plan.runs) {
    if (fs.existsSync(path.join(dirOf(run), RUN_FILES.summary))) done.push(run.id);
    else pending.push(run);
  }
  const skipped = done.length;
  const crashes = new Map<string, number>();
  const durations: number[] = [];
  const active = new Map<string, { promise: Promise<void>; handle?: TrainHandle }>();
  let stopping = false;
  const counts = () => ({ total: plan.runs.length, done: done.length, running: active.size, failed: failed.length, etaSec: stopping ? undefined : sweepEta(durations, plan.runs.length - done.length - failed.length, workers) });

  // Ctrl-C / SIGTERM: every training saves a checkpoint and stops (each runs in its own process group, so the
  // signal is passed on once); a second one kills them at once (they continue from their last checkpoint).
  const onSignal = (signal: NodeJS.Signals) => {
    if (stopping) {
      progress.print(`[sweep] ${signal} again: stopping the trainings now`);
      for (const a of active.values()) a.handle?.kill();
      return;
    }
    stopping = true;
    progress.print(`[sweep] ${signal}: the running trainings save a checkpoint and stop; run the same command again to continue`);
    for (const a of active.values()) a.handle?.interrupt();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const settle = (run: PlannedRun, r: AttemptResult, seconds: number) => {
    const label = runLabel(run);
    if (r.outcome === 'done') {
      done.push(run.id);
      durations.push(seconds);
      progress.print(`[sweep] done    ${label}: ${fmtMetrics(r.metrics)}${r.resumedFromStep !== undefined ? ` (resumed from step ${r.resumedFromStep})` : ''}`);
      if (r.error) progress.print(`[sweep] ${r.error}`);
    } else if (r.outcome === 'failed') {
      failed.push({ id: run.id, error: r.error ?? 'failed' });
      progress.print(`[sweep] FAILED  ${label}: ${(r.error ?? '').split('\n')[0]} (log: ${path.join(dirOf(run), 'train.log')})`);
    } else if (r.outcome === 'crashed') {
      const n = (crashes.get(run.id) ?? 0) + 1;
      crashes.set(run.id, n);
      if (n <= plan.spec.retries && !stopping) {
        progress.print(`[sweep] retry   ${label}: ${r.error} — starting it again from its last checkpoint (retry ${n} of ${plan.spec.retries})`);
        pending.unshift(run);
      } else if (!stopping) {
        const error = `${r.error} (${n} attempt${n > 1 ? 's' : ''}; retries: ${plan.spec.retries})`;
        failed.push({ id: run.id, error });
        progress.print(`[sweep] FAILED  ${label}: ${error}`);
      }
    } else {
      stopping = true;
    }
  };

  const launch = (run: PlannedRun) => {
    options.onLaunch?.(run);
    const t0 = performance.now();
    const before = readRunRecord(dirOf(run));
    if (before?.state === 'failed') progress.print(`[sweep] again   ${runLabel(run)} (it failed before: ${(before.error ?? '').split('\n')[0]})`);
    const slot: { promise: Promise<void>; handle?: TrainHandle } = { promise: Promise.resolve() };
    slot.promise = runTrainProcess(jobOf(plan, run, options.backend), {
      runDir: dirOf(run),
      ...(options.backend ? { backend: options.backend } : {}),
      onStart: (handle) => {
        slot.handle = handle;
        if (stopping) handle.interrupt();
      },
    })
      .then((r) => settle(run, r, (performance.now() - t0) / 1000))
      .catch((e: unknown) => settle(run, { outcome: 'failed', error: (e as Error).message }, 0))
      .finally(() => {
        active.delete(run.id);
        progress.update(counts());
      });
    active.set(run.id, slot);
  };

  progress.start(counts());
  try {
    while (active.size > 0 || (pending.length > 0 && !stopping)) {
      for (let i = 0; !stopping && active.size < workers && i < pending.length; ) {
        if ((pending[i]!.after ?? []).every((id) => done.includes(id))) launch(pending.splice(i, 1)[0]!);
        else i++;
      }
      blockedRuns(pending, failed, active.size === 0 && !stopping).forEach(({ run, error }) => {
        failed.push({ id: run.id, error });
        progress.print(`[sweep] FAILED  ${runLabel(run)}: ${error}`);
      });
      progress.update(counts());
      if (active.size === 0) break;
      await Promise.race([...active.values()].map((a) => a.promise));
    }
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  return { done, failed, skipped, interrupted: stopping && done.length + failed.length < plan.runs.length };
}

/**
 * The pending runs that can never start, taken out of `pending`: those waiting for a failed run (transitively), and
 * with `stalled` (nothing running, so nothing will finish) every one still waiting, for a run that is not pending.
 */
function blockedRuns(pending: PlannedRun[], failed: readonly { id: string }[], stalled: boolean): { run: PlannedRun; error: string }[] {
  const blocked: { run: PlannedRun; error: string }[] = [];
  const failedIds = new Set(failed.map((f) => f.id));
  for (let changed = true; changed; ) {
    changed = false;
    for (let i = pending.length - 1; i >= 0; i--) {
      const bad = (pending[i]!.after ?? []).find((id) => failedIds.has(id));
      if (bad === undefined) continue;
      const [run] = pending.splice(i, 1);
      blocked.push({ run: run!, error: `not started: it needs run ${bad}, which failed` });
      failedIds.add(run!.id);
      changed = true;
    }
  }
  if (stalled) {
    const waiting = new Set(pending.map((r) => r.id));
    for (const run of pending.splice(0)) {
      const missing = (run.after ?? []).filter((id) => !waiting.has(id));
      blocked.push({ run, error: `not started: it needs ${missing.length > 0 ? `run ${missing.join(', ')}, which is not in the plan` : 'runs that wait for one another'}` });
    }
  }
  return blocked;
}
