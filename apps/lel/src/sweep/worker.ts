import * as os from 'node:os';
import * as path from 'node:path';
import { UnrecoverableError, WaitingError, Worker, type Job } from 'bullmq';
import { runLabel } from './local-pool';
import { checkRedis, connectionOf, openQueue, redactUrl, type QueueTarget, type RunReturn } from './queue';
import { runTrainProcess, type RunJob, type TrainHandle } from './train-process';

/** Options of {@link runWorker} (the `lel worker` flags). */
export interface WorkerOptions extends QueueTarget {
  /** This machine's mount point of the shared runs folder. */
  runsDir: string;
  /** Runs trained at once by this worker (default 1; start one worker per machine with `--concurrency`, or several). */
  concurrency?: number;
  /** Overrides the backend a sweep asks for. */
  backend?: string;
  /**
   * How long a run's lock lasts without renewal (ms). A worker renews it every half of this while the run trains; a
   * dead worker's runs are handed to another worker this long after it died (plus up to `stalledIntervalMs`).
   */
  lockDurationMs?: number;
  /** How often this worker looks for runs whose worker died (ms). */
  stalledIntervalMs?: number;
  /** How many times a run may be handed over after its worker died before it is failed. */
  maxStalled?: number;
  /**
   * Stop once the queue has had nothing waiting, delayed or running (here or on any worker) for this many seconds:
   * for workers started as batch jobs (a cluster scheduler) that should end with the sweep.
   */
  exitWhenIdleSec?: number;
  log?: (line: string) => void;
}

import { WORKER_DEFAULTS } from '../cli-options';

export { WORKER_DEFAULTS };

/** The run folder of a job under this machine's runs folder; a job may not point outside it. */
export function runDirOf(runsDir: string, job: Pick<RunJob, 'dir'>): string {
  const root = path.resolve(runsDir);
  const dir = path.resolve(root, ...job.dir.split('/'));
  if (path.isAbsolute(job.dir) || !dir.startsWith(root + path.sep)) throw new UnrecoverableError(`job run folder ${JSON.stringify(job.dir)} is not inside the runs folder`);
  return dir;
}

/**
 * `lel worker`: take runs from the queue and train them, each in its own `lel train` process writing its run folder
 * under `runsDir` (a shared file system: the same folder for every worker and the submitter). BullMQ keeps a lock on
 * every run a worker holds; when a worker dies (killed, machine lost), its lock runs out and another worker's
 * stalled-job check puts the run back in the queue; the next worker continues it from its last checkpoint
 * (`lel train --resume last`). The training process dies with its worker (it must not train on beside the next
 * one), and is killed if this worker loses a run's lock. A run that fails by itself is failed for good
 * (UnrecoverableError); a training process that crashed is retried by BullMQ (the job's `attempts`). SIGTERM (or
 * Ctrl-C) stops after every running training saved a checkpoint and puts those runs back in the queue; a second one
 * quits at once (the runs then come back through the stalled check). Resolves when the worker has stopped.
 */
export async function runWorker(options: WorkerOptions): Promise<void> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  await checkRedis(options.url);
  const me = `${os.hostname()}:${process.pid}`;
  const children = new Map<string, TrainHandle>();
  const aborts = new Map<string, AbortController>();
  let stopping = false;

  const processor = async (job: Job<RunJob, RunReturn>, token?: string): Promise<RunReturn> => {
    const data = job.data;
    const runDir = runDirOf(options.runsDir, data);
    const abort = new AbortController();
    aborts.set(job.id!, abort);
    log(`[worker ${me}] start   ${data.sweep} ${runLabel(data)} → ${runDir} (attempt ${job.attemptsMade + 1}${job.stalledCounter ? `, handed over ${job.stalledCounter}×` : ''})`);
    try {
      const r = await runTrainProcess(data, {
        runDir,
        ...(options.backend ? { backend: options.backend } : {}),
        signal: abort.signal,
        onStart: (handle) => {
          children.set(job.id!, handle);
          if (stopping) handle.interrupt();
        },
      });
      const resumed = r.resumedFromStep !== undefined ? ` (resumed from step ${r.resumedFromStep})` : '';
      if (r.outcome === 'done') {
        log(`[worker ${me}] done    ${runLabel(data)}${resumed}: ${Object.entries(r.metrics ?? {}).map(([k, v]) => `${k}=${v.toFixed(4)}`).join(' ')}`);
        return { dir: data.dir, host: os.hostname(), ...(r.metrics ? { metrics: r.metrics } : {}), ...(r.steps !== undefined ? { steps: r.steps } : {}), ...(r.wallSeconds !== undefined ? { wallSeconds: r.wallSeconds } : {}), ...(r.resumedFromStep !== undefined ? { resumedFromStep: r.resumedFromStep } : {}) };
      }
      if (r.outcome === 'failed') {
        log(`[worker ${me}] FAILED  ${runLabel(data)}: ${(r.error ?? '').split('\n')[0]} (not retried; log: ${path.join(runDir, 'train.log')})`);
        throw new UnrecoverableError(r.error ?? 'failed');
      }
      if (r.outcome === 'interrupted' || stopping) {
        // Stopped with a checkpoint (worker shutting down): back to the queue, without using up an attempt.
        log(`[worker ${me}] stopped ${runLabel(data)}: checkpoint saved, back in the queue`);
        await job.moveToWait(token);
        throw new WaitingError();
      }
      log(`[worker ${me}] crashed ${runLabel(data)}: ${r.error}${job.attemptsMade + 1 < (job.opts.attempts ?? 1) ? ' — retried from its last checkpoint' : ' — no attempts left'}`);
      throw new Error(r.error ?? 'the training process crashed');
    } finally {
      children.delete(job.id!);
      aborts.delete(job.id!);
    }
  };

  const worker = new Worker<RunJob, RunReturn>(options.name, processor, {
    connection: connectionOf(options.url),
    concurrency: options.concurrency ?? WORKER_DEFAULTS.concurrency,
    lockDuration: options.lockDurationMs ?? WORKER_DEFAULTS.lockDurationMs,
    stalledInterval: options.stalledIntervalMs ?? WORKER_DEFAULTS.stalledIntervalMs,
    maxStalledCount: options.maxStalled ?? WORKER_DEFAULTS.maxStalled,
    autorun: false,
  });
  worker.on('error', (e) => log(`[worker ${me}] queue error: ${e.message}`));
  worker.on('stalled', (jobId) => log(`[worker ${me}] run ${jobId} lost its worker: back in the queue, to continue from its last checkpoint`));
  worker.on('lockRenewalFailed', (jobIds: string[]) => {
    for (const id of jobIds) {
      if (!aborts.has(id)) continue;
      log(`[worker ${me}] lost the lock of run ${id}: stopping its training (another worker continues it)`);
      aborts.get(id)!.abort();
    }
  });

  let closing: Promise<void> | undefined;
  const shutdown = (signal: NodeJS.Signals) => {
    if (stopping) {
      log(`[worker ${me}] ${signal} again: quitting now (the runs continue elsewhere from their last checkpoint)`);
      for (const c of children.values()) c.kill();
      process.exit(130);
    }
    stopping = true;
    log(`[worker ${me}] ${signal}: the running trainings save a checkpoint, go back to the queue, and this worker stops`);
    for (const c of children.values()) c.interrupt();
    closing ??= worker.close();
  };
  const onSigint = () => shutdown('SIGINT');
  const onSigterm = () => shutdown('SIGTERM');
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigterm);
  log(`[worker ${me}] queue "${options.name}" at ${redactUrl(options.url)}, runs folder ${path.resolve(options.runsDir)}, ${options.concurrency ?? 1} at a time`);
  let idleTimer: NodeJS.Timeout | undefined;
  if (options.exitWhenIdleSec !== undefined) {
    const queue = openQueue(options);
    let idleSince: number | undefined;
    const check = async () => {
      try {
        const counts = await queue.getJobCounts('waiting', 'delayed', 'prioritized', 'active', 'waiting-children');
        const busy = Object.values(counts).reduce((a, b) => a + b, 0) > 0 || children.size > 0;
        idleSince = busy ? undefined : (idleSince ?? Date.now());
        if (idleSince !== undefined && Date.now() - idleSince >= options.exitWhenIdleSec! * 1000 && !stopping) {
          log(`[worker ${me}] the queue has been empty for ${options.exitWhenIdleSec} s: stopping`);
          stopping = true;
          closing ??= worker.close();
          return;
        }
      } catch (e) {
        log(`[worker ${me}] queue error: ${(e as Error).message}`);
      }
      idleTimer = setTimeout(() => void check(), 1000);
    };
    idleTimer = setTimeout(() => void check(), 1000);
    worker.once('closed', () => void queue.close());
  }
  try {
    await worker.run();
    await closing;
  } finally {
    clearTimeout(idleTimer);
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigterm);
  }
}
