import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { stringify as stringifyYaml } from 'yaml';
import { writeFileAtomicSync } from '@lel/core/node';
import { RESOLVED_CONFIG, readResolvedConfig } from '../config/load';
import type { ConfigTree } from '../config/overrides';
import { RUN_FILES, readSummary } from '../run-dir';
import { INTERRUPTED_EXIT_CODE } from '../signals';
import { EXIT_WITH_PARENT_ENV } from './parent-watch';
import type { GridPoint } from './manifest';
import { runId } from './run-id';
import { checkpointStep, readRunRecord, RUN_LOG, writeRunRecord, type AttemptOutcome, type RunAttempt, type RunRecord } from './run-record';

/** The `lel` launcher the training processes are started with (the same code path as `lel train`). */
const LEL_BIN = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'lel.js');

/** The config a fresh run starts from, written into its folder (the queue job carries it to other machines). */
export const SWEEP_CONFIG = 'sweep-config.yaml';

/** One run as the local pool and the queue hand it to {@link runTrainProcess} (a queue job's data). */
export interface RunJob {
  sweep: string;
  id: string;
  recipe: string;
  /** The resolved config (written to `sweep-config.yaml`, trained with `lel train --config`). */
  config: ConfigTree;
  sets: string[];
  /** Run folder relative to the runs folder (`<sweep>/<id>`). */
  dir: string;
  cells: { arm: string; point: GridPoint; seed: number }[];
  backend?: string;
}

/** How an attempt ended, with the run's final metrics when it finished. */
export interface AttemptResult {
  outcome: AttemptOutcome;
  error?: string;
  metrics?: Record<string, number>;
  steps?: number;
  wallSeconds?: number;
  resumedFromStep?: number;
}

/** Options of {@link runTrainProcess}. */
export interface TrainProcessOptions {
  /** Absolute run folder. */
  runDir: string;
  /** `lel train --backend` (the job's own backend otherwise). */
  backend?: string;
  /** Called with the training process once started (to stop it on Ctrl-C / SIGTERM). */
  onStart?: (handle: TrainHandle) => void;
  /** Aborting kills the training process at once (its worker lost the run to another one). */
  signal?: AbortSignal;
  /** Extra environment of the training process. */
  env?: NodeJS.ProcessEnv;
}

/**
 * A started training process. It runs in its own process group (the launcher and the Node process it starts), so
 * signals reach the whole of it and a crash of one leaves nothing training behind.
 */
export interface TrainHandle {
  pid: number;
  /** Stop after the current step with a checkpoint (SIGINT to the group: what Ctrl-C does to `lel train`). */
  interrupt(): void;
  /** Kill the whole process group now. */
  kill(): void;
}

/** The error a failed `lel train` printed: its `lel: …` message (with any lines after it), else the log's tail. */
export function errorFromLog(log: string): string {
  const lines = log.split('\n');
  let at = -1;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (lines[i]!.startsWith('lel: ')) {
      at = i;
      break;
    }
  }
  const text = at >= 0 ? lines.slice(at).join('\n').slice(5) : lines.filter((l) => l.trim()).slice(-8).join('\n');
  return text.trim().slice(0, 4000);
}

function readLogFrom(file: string, offset: number): string {
  const size = fs.statSync(file).size;
  const len = Math.min(size - offset, 256 * 1024);
  if (len <= 0) return '';
  const buf = Buffer.alloc(len);
  const fd = fs.openSync(file, 'r');
  try {
    fs.readSync(fd, buf, 0, len, size - len);
  } finally {
    fs.closeSync(fd);
  }
  return buf.toString('utf8');
}

/** Re-read the record and update this attempt in it (another worker may have written it since). */
function updateAttempt(runDir: string, job: RunJob, attempt: RunAttempt, state: RunRecord['state'], error?: string): void {
  const record = readRunRecord(runDir) ?? newRecord(job);
  const i = record.attempts.findIndex((a) => a.host === attempt.host && a.pid === attempt.pid && a.started === attempt.started);
  if (i >= 0) record.attempts[i] = attempt;
  else record.attempts.push(attempt);
  record.state = state;
  if (error !== undefined) record.error = error;
  else delete record.error;
  writeRunRecord(runDir, record);
}

function newRecord(job: RunJob): RunRecord {
  return { id: job.id, sweep: job.sweep, recipe: job.recipe, sets: job.sets, cells: job.cells, state: 'running', attempts: [], updated: new Date().toISOString() };
}

/**
 * Run one attempt at a run: `lel train` in its own process (a crash cannot take the pool or the worker down), its
 * output appended to `<run>/train.log`. A run folder without `config.resolved.yaml` starts fresh from the job's
 * config; one with it continues with `--resume last` (from its last checkpoint, or from scratch when it crashed
 * before the first). A finished run is not trained again. The outcome is `done`, `failed` (the process reported an
 * error: bad config, NaN loss, missing file — retrying would fail again), `crashed` (killed or died: worth another
 * attempt) or `interrupted` (stopped on request after saving a checkpoint). `sweep-run.json` records every attempt.
 */
export async function runTrainProcess(job: RunJob, options: TrainProcessOptions): Promise<AttemptResult> {
  const runDir = path.resolve(options.runDir);
  fs.mkdirSync(runDir, { recursive: true });
  if (fs.existsSync(path.join(runDir, RUN_FILES.summary))) {
    // Finished, possibly by a process whose worker died just after (its record still says running).
    const record = readRunRecord(runDir);
    if (record && record.state !== 'done') {
      delete record.error;
      writeRunRecord(runDir, { ...record, state: 'done' });
    }
    return finished(runDir);
  }
  const resume = fs.existsSync(path.join(runDir, RESOLVED_CONFIG));
  const args = ['train', job.recipe, '--out', runDir, '--progress', 'lines'];
  if (resume) args.push('--resume', 'last');
  else {
    writeFileAtomicSync(path.join(runDir, SWEEP_CONFIG), `# Resolved config of sweep ${job.sweep}, run ${job.id} (lel train ${job.recipe} ${job.sets.map((s) => `--set ${s}`).join(' ')}).\n${stringifyYaml(job.config)}`);
    args.push('--config', path.join(runDir, SWEEP_CONFIG));
  }
  const backend = options.backend ?? job.backend;
  if (backend) args.push('--backend', backend);
  const resumedFromStep = resume ? checkpointStep(runDir) : undefined;
  const attempt: RunAttempt = { host: os.hostname(), pid: process.pid, started: new Date().toISOString(), ...(resumedFromStep !== undefined ? { resumedFromStep } : {}) };
  updateAttempt(runDir, job, attempt, 'running');

  const logFile = path.join(runDir, RUN_LOG);
  const number = readRunRecord(runDir)?.attempts.length ?? 1;
  fs.appendFileSync(logFile, `\n=== lel sweep ${job.sweep}: run ${job.id}, attempt ${number} on ${attempt.host} (pid ${process.pid}) at ${attempt.started}, ${resumedFromStep !== undefined ? `resuming from the checkpoint of step ${resumedFromStep}` : resume ? 'started again from scratch (no checkpoint yet)' : 'fresh start'} ===\n`);
  const logOffset = fs.statSync(logFile).size;
  const logFd = fs.openSync(logFile, 'a');
  let child: ChildProcess;
  const group = (signal: NodeJS.Signals) => {
    try {
      if (child?.pid !== undefined) process.kill(-child.pid, signal);
    } catch {
      // the group is gone
    }
  };
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null; spawnError?: Error }>((resolve) => {
    child = spawn(process.execPath, [LEL_BIN, ...args], {
      stdio: ['pipe', logFd, logFd],
      env: { ...process.env, ...options.env, [EXIT_WITH_PARENT_ENV]: '1' },
      // Its own process group: Ctrl-C in the terminal reaches only the sweep / worker, which passes it on once.
      detached: true,
    });
    child.on('error', (e) => resolve({ code: null, signal: null, spawnError: e }));
    child.on('exit', (code, signal) => resolve({ code, signal }));
    if (child.pid === undefined) return;
    attempt.trainPid = child.pid;
    updateAttempt(runDir, job, attempt, 'running');
    options.onStart?.({ pid: child.pid, interrupt: () => group('SIGINT'), kill: () => group('SIGKILL') });
    const kill = () => group('SIGKILL');
    if (options.signal?.aborted) kill();
    options.signal?.addEventListener('abort', kill, { once: true });
  });
  // Whatever is left of the group (the launcher killed alone leaves its Node process) must not train on.
  group('SIGKILL');
  fs.closeSync(logFd);
  child!.stdin?.destroy();
  attempt.ended = new Date().toISOString();
  attempt.exitCode = exit.code;
  attempt.signal = exit.signal;
  let result: AttemptResult;
  if (exit.spawnError) {
    result = { outcome: 'crashed', error: `could not start lel train: ${exit.spawnError.message}` };
  } else if (exit.code === 0 && fs.existsSync(path.join(runDir, RUN_FILES.summary))) {
    result = finished(runDir);
  } else if (exit.code === INTERRUPTED_EXIT_CODE) {
    result = { outcome: 'interrupted', error: 'stopped on request; a checkpoint was saved' };
  } else if (exit.code === 1) {
    result = { outcome: 'failed', error: errorFromLog(readLogFrom(logFile, logOffset)) || 'lel train exited with status 1' };
  } else {
    const how = exit.signal ? `was killed (${exit.signal})` : `exited with status ${exit.code}`;
    result = { outcome: 'crashed', error: `the training process ${how}${options.signal?.aborted ? ': this worker lost the run to another one' : ''}` };
  }
  if (resumedFromStep !== undefined) result.resumedFromStep = resumedFromStep;
  attempt.outcome = result.outcome;
  if (result.error) attempt.error = result.error;
  // A worker that lost the run leaves the record to the one that has it now.
  if (!options.signal?.aborted) updateAttempt(runDir, job, attempt, result.outcome, result.outcome === 'done' ? undefined : result.error);
  return result;
}

/** A finished run's result; notes in its record if its resolved config does not hash to its id. */
function finished(runDir: string): AttemptResult {
  const summary = readSummary(runDir);
  const result: AttemptResult = { outcome: 'done', metrics: summary.metrics, steps: summary.steps, wallSeconds: summary.wallSeconds };
  const record = readRunRecord(runDir);
  if (record && record.id !== runId(readResolvedConfig(runDir))) {
    result.error = `warning: ${runDir}/${RESOLVED_CONFIG} does not hash to the run's id ${record.id} (the recipe's config did not resolve to itself)`;
  }
  return result;
}
