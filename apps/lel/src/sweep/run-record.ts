import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { readJsonFile, readPointer, writeFileAtomicSync } from '@lel/core/node';
import { RUN_FILES } from '../run-dir';
import type { GridPoint } from './manifest';

/** File a sweep keeps in each of its run folders: who ran it, how often, and how it ended. */
export const RUN_RECORD = 'sweep-run.json';

/** The training process's output, appended attempt after attempt. */
export const RUN_LOG = 'train.log';

/** How one attempt at a run ended. */
export type AttemptOutcome =
  /** Finished: summary.json written. */
  | 'done'
  /** Failed for a reason in the run itself (bad config, NaN loss, missing file): not retried. */
  | 'failed'
  /** The training process died (killed, out of memory): retried from the last checkpoint. */
  | 'crashed'
  /** Stopped on request (Ctrl-C, SIGTERM, worker shutdown): a checkpoint was saved, continued later. */
  | 'interrupted';

/** One attempt at a run: one `lel train` process. */
export interface RunAttempt {
  host: string;
  /** The process that ran the attempt (`lel sweep` or `lel worker`) and the training process it started. */
  pid: number;
  trainPid?: number;
  started: string;
  ended?: string;
  /** The checkpoint step the attempt continued from (absent: from scratch). */
  resumedFromStep?: number;
  outcome?: AttemptOutcome;
  exitCode?: number | null;
  signal?: string | null;
  error?: string;
}

/** `sweep-run.json`. */
export interface RunRecord {
  id: string;
  sweep: string;
  recipe: string;
  /** `lel train` overrides that reproduce the run. */
  sets: string[];
  cells: { arm: string; point: GridPoint; seed: number }[];
  state: 'running' | AttemptOutcome;
  attempts: RunAttempt[];
  /** The last failure's message. */
  error?: string;
  updated: string;
}

/** Read a run folder's record (undefined when the run was not started by a sweep). */
export function readRunRecord(runDir: string): RunRecord | undefined {
  const file = path.join(runDir, RUN_RECORD);
  return fs.existsSync(file) ? readJsonFile<RunRecord>(file) : undefined;
}

/** Write a run folder's record (atomic: readers on other machines never see half a file). */
export function writeRunRecord(runDir: string, record: RunRecord): void {
  writeFileAtomicSync(path.join(runDir, RUN_RECORD), JSON.stringify({ ...record, updated: new Date().toISOString() }, null, 2) + '\n');
}

/** Step of the run's last checkpoint, if it has one. */
export function checkpointStep(runDir: string): number | undefined {
  return readPointer(runDir, 'last')?.step;
}

/** Step of the last `train` record in metrics.jsonl (progress of a running run), read from the file's tail. */
export function lastLoggedStep(runDir: string): number | undefined {
  const file = path.join(runDir, RUN_FILES.metrics);
  if (!fs.existsSync(file)) return undefined;
  const size = fs.statSync(file).size;
  const fd = fs.openSync(file, 'r');
  try {
    const len = Math.min(size, 16384);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').reverse();
    for (const line of lines) {
      const m = /"type":"train","step":(\d+)/.exec(line);
      if (m) return Number(m[1]);
    }
    return undefined;
  } finally {
    fs.closeSync(fd);
  }
}

/** Where a run stands, from its folder alone (the queue, when there is one, knows more). */
export type RunStatus = 'pending' | 'running' | 'done' | 'failed' | 'stopped';

/** Whether a process on this host is alive (a record saying "running" may be left by a killed process). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A run's status from its folder: `done` (summary.json), `failed` (its record says so), `running` (its record says so
 * and, on this host, the process is alive), `stopped` (started, not finished, nobody on it: it continues from its
 * last checkpoint when the sweep is run again) or `pending`.
 */
export function runStatus(runDir: string): { status: RunStatus; record?: RunRecord; step?: number; error?: string } {
  const record = readRunRecord(runDir);
  const step = lastLoggedStep(runDir);
  const extra = { ...(record ? { record } : {}), ...(step !== undefined ? { step } : {}) };
  if (fs.existsSync(path.join(runDir, RUN_FILES.summary))) return { status: 'done', ...extra };
  if (record?.state === 'failed') return { status: 'failed', ...extra, ...(record.error ? { error: record.error } : {}) };
  if (record?.state === 'running') {
    const a = record.attempts[record.attempts.length - 1];
    if (a && a.host === os.hostname() && !alive(a.pid)) return { status: 'stopped', ...extra };
    return { status: 'running', ...extra };
  }
  if (record || fs.existsSync(path.join(runDir, RUN_FILES.config))) return { status: 'stopped', ...extra };
  return { status: 'pending', ...extra };
}
