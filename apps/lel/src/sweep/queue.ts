import * as fs from 'node:fs';
import * as path from 'node:path';
import { Queue, type Job, type JobsOptions } from 'bullmq';
import { Redis } from 'ioredis';
import type { ProgressMode, ProgressStream } from '@lel/core';
import { RUN_FILES } from '../run-dir';
import { jobOf, runLabel, type SweepOutcome } from './local-pool';
import type { PlannedRun, SweepPlan } from './plan';
import { SweepProgress, sweepEta } from './progress';
import type { AttemptResult, RunJob } from './train-process';

import { DEFAULT_QUEUE_NAME } from '../cli-options';

export { DEFAULT_QUEUE_NAME };

/** Where a queue lives. */
export interface QueueTarget {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  name: string;
}

/** What a worker returns for a finished run (kept by BullMQ as the job's return value). */
export interface RunReturn extends Pick<AttemptResult, 'metrics' | 'steps' | 'wallSeconds' | 'resumedFromStep'> {
  dir: string;
  host: string;
}

/** The URL without its password, for messages. */
export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

/** Check a `--queue` URL: redis:// or rediss:// with a host. */
export function parseQueueUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new Error(`--queue ${JSON.stringify(url)}: not a URL; expected redis://host:port (for example redis://10.0.0.5:6379)`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`--queue ${redactUrl(url)}: expected a redis:// or rediss:// URL, got ${u.protocol}`);
  if (!u.hostname) throw new Error(`--queue ${redactUrl(url)}: no host`);
  return url;
}

/** BullMQ connection options for a URL (workers block on Redis: no per-request retry limit). */
export function connectionOf(url: string): { url: string; maxRetriesPerRequest: null } {
  return { url, maxRetriesPerRequest: null };
}

/** Fail fast, with a clear message, when Redis is not reachable (ioredis would otherwise retry forever). */
export async function checkRedis(url: string, timeoutMs = 5000): Promise<void> {
  const client = new Redis(url, { lazyConnect: true, connectTimeout: timeoutMs, maxRetriesPerRequest: 0, retryStrategy: () => null, enableOfflineQueue: false });
  client.on('error', () => {}); // reported through connect()
  try {
    await client.connect();
    await client.ping();
  } catch (e) {
    throw new Error(`cannot reach Redis at ${redactUrl(url)}: ${(e as Error).message}. Start one (\`redis-server\`, or \`valkey-server\`) where every machine can reach it, and pass its address`);
  } finally {
    client.disconnect();
  }
}

/** A run's job id: `<sweep>.<run id>` (one job per run: enqueuing the same run twice is a no-op). */
export function jobIdOf(sweep: string, id: string): string {
  return `${sweep}.${id}`;
}

/** Open the queue. */
export function openQueue(target: QueueTarget): Queue<RunJob, RunReturn> {
  const queue = new Queue<RunJob, RunReturn>(target.name, { connection: connectionOf(target.url) });
  queue.on('error', () => {}); // surfaced by the awaited calls
  return queue;
}

/** What {@link submitSweep} did. */
export interface SubmitResult {
  enqueued: number;
  /** Already finished (their run folder has summary.json). */
  skipped: number;
  /** Already in the queue, waiting or running. */
  queued: number;
  /** Had failed before and were queued again. */
  retried: number;
  /** Workers connected to the queue when the sweep was submitted. */
  workers: number;
}

/**
 * Enqueue a sweep's runs on BullMQ, one job per run (job id `<sweep>.<run id>`), carrying the run's resolved config
 * so workers need no spec or config file. Runs whose folder already has `summary.json` are skipped; runs already
 * waiting or running are left alone; runs that failed before are queued again (a re-submission is the way to retry
 * them once the cause is fixed). Crashes are retried `spec.retries` times (after 5 s); a failure of the run itself is
 * final (the worker marks it unrecoverable).
 */
export async function submitSweep(plan: SweepPlan, target: QueueTarget, options: { runsDir: string; backend?: string }): Promise<SubmitResult> {
  const queue = openQueue(target);
  const out: SubmitResult = { enqueued: 0, skipped: 0, queued: 0, retried: 0, workers: 0 };
  try {
    const toAdd: { name: string; data: RunJob; opts: JobsOptions }[] = [];
    for (const run of plan.runs) {
      if (fs.existsSync(path.join(options.runsDir, ...run.dir.split('/'), RUN_FILES.summary))) {
        out.skipped++;
        continue;
      }
      const jobId = jobIdOf(plan.name, run.id);
      const existing = await queue.getJob(jobId);
      if (existing) {
        const state = await existing.getState();
        if (state === 'failed') {
          await existing.retry('failed', { resetAttemptsMade: true, resetAttemptsStarted: true });
          out.retried++;
          continue;
        }
        if (state !== 'completed') {
          out.queued++;
          continue;
        }
        // Completed, yet its folder has no summary (deleted, or another runs folder): run it again.
        await existing.remove();
      }
      toAdd.push({
        name: plan.name,
        data: jobOf(plan, run, options.backend),
        opts: { jobId, attempts: plan.spec.retries + 1, backoff: { type: 'fixed', delay: 5000 }, removeOnComplete: false, removeOnFail: false },
      });
    }
    if (toAdd.length > 0) await queue.addBulk(toAdd);
    out.enqueued = toAdd.length;
    out.workers = await queue.getWorkersCount();
  } finally {
    await queue.close();
  }
  return out;
}

/** A run's state in the queue. */
export interface QueuedRun {
  state: string;
  attemptsMade: number;
  /** Times BullMQ found its worker dead and gave it to another. */
  stalled: number;
  failedReason?: string;
  result?: RunReturn;
}

/** Every run's job state (`unknown` for runs never enqueued). */
export async function queueStates(queue: Queue<RunJob, RunReturn>, sweep: string, runs: readonly Pick<PlannedRun, 'id'>[]): Promise<Map<string, QueuedRun>> {
  const out = new Map<string, QueuedRun>();
  await Promise.all(
    runs.map(async (run) => {
      const job = (await queue.getJob(jobIdOf(sweep, run.id))) as Job<RunJob, RunReturn> | undefined;
      if (!job) return out.set(run.id, { state: 'unknown', attemptsMade: 0, stalled: 0 });
      const state = await job.getState();
      out.set(run.id, {
        state,
        attemptsMade: job.attemptsMade,
        stalled: job.stalledCounter ?? 0,
        ...(job.failedReason ? { failedReason: job.failedReason } : {}),
        ...(state === 'completed' && job.returnvalue ? { result: job.returnvalue } : {}),
      });
    }),
  );
  return out;
}

/**
 * Follow a submitted sweep until every run is finished or failed, with the same progress line as the local pool.
 * Ctrl-C stops following (the workers carry on). Results come back through the queue (each job's return value:
 * the run's final metrics) and, in full, in the run folders on the shared file system.
 */
export async function waitForSweep(
  plan: SweepPlan,
  target: QueueTarget,
  options: { pollMs?: number; progress?: ProgressMode; stream?: ProgressStream } = {},
): Promise<SweepOutcome> {
  const queue = openQueue(target);
  const progress = new SweepProgress(plan.name, plan.runs.length, { ...(options.progress ? { mode: options.progress } : {}), ...(options.stream ? { stream: options.stream } : {}) });
  let stop = false;
  const onSignal = () => {
    stop = true;
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const seen = new Map<string, string>();
  const started = new Map<string, number>();
  const durations: number[] = [];
  let outcome: SweepOutcome = { done: [], failed: [], skipped: 0, interrupted: false };
  let first = true;
  try {
    for (;;) {
      const states = await queueStates(queue, plan.name, plan.runs);
      const done: string[] = [];
      const failed: { id: string; error: string }[] = [];
      let running = 0;
      for (const run of plan.runs) {
        const q = states.get(run.id)!;
        const before = seen.get(run.id);
        if (q.state === 'completed') {
          done.push(run.id);
          if (before !== undefined && before !== 'completed') {
            const t0 = started.get(run.id);
            if (t0 !== undefined) durations.push((Date.now() - t0) / 1000);
            const m = q.result?.metrics;
            progress.print(`[sweep] done    ${runLabel(run)} on ${q.result?.host ?? '?'}${m ? `: ${Object.entries(m).map(([k, v]) => `${k}=${v.toFixed(4)}`).join(' ')}` : ''}${q.result?.resumedFromStep !== undefined ? ` (resumed from step ${q.result.resumedFromStep})` : ''}`);
          }
        } else if (q.state === 'failed') {
          failed.push({ id: run.id, error: q.failedReason ?? 'failed' });
          if (before !== 'failed') progress.print(`[sweep] FAILED  ${runLabel(run)}: ${(q.failedReason ?? '').split('\n')[0]}`);
        } else if (q.state === 'active') {
          running++;
          if (!started.has(run.id)) started.set(run.id, Date.now());
        } else if (q.state === 'unknown') {
          // Not in the queue: finished before this submission (skipped), or removed meanwhile.
          done.push(run.id);
        }
        seen.set(run.id, q.state);
      }
      const counts = { total: plan.runs.length, done: done.length, running, failed: failed.length, etaSec: sweepEta(durations, plan.runs.length - done.length - failed.length, Math.max(1, running)) };
      if (first) progress.start(counts);
      else progress.update(counts);
      first = false;
      outcome = { done, failed, skipped: 0, interrupted: false };
      if (done.length + failed.length === plan.runs.length) break;
      if (stop) {
        outcome.interrupted = true;
        progress.print(`[sweep] stopped following; the workers carry on (\`lel sweep status\` shows where they are)`);
        break;
      }
      await new Promise((r) => setTimeout(r, options.pollMs ?? 1000));
    }
  } finally {
    progress.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await queue.close();
  }
  return outcome;
}
