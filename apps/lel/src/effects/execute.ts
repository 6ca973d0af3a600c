import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '@lel/core/node';
import { RUN_FILES } from '../run-dir';
import { trainCommand, type TrainOptions, type TrainOutcome } from '../train';
import type { GridRun } from './grid';
import { codeVersion, readRunRecord, RUN_RECORD, type CodeVersion, type EffectsRunRecord, type RunProvenance } from './provenance';

/** Trains one run (the default is `lel train` in this process). */
export type TrainFn = (recipe: string, options: TrainOptions) => Promise<TrainOutcome>;

/** Whether a grid run has finished (its summary.json exists). */
export function isFinished(run: GridRun): boolean {
  return fs.existsSync(path.join(run.dir, RUN_FILES.summary));
}

const LOCK = 'effects.lock';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Claim a run folder for this process (`effects.lock` holding the pid, created exclusively), so several
 * `lel effects` processes can share one grid (e.g. two settings that share the all-label run). A lock whose
 * process is gone is taken over. Returns a release function, or null when another live process holds it.
 */
function claim(dir: string): (() => void) | null {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return () => fs.rmSync(file, { force: true });
    } catch {
      const pid = Number(fs.readFileSync(file, 'utf8'));
      if (Number.isInteger(pid) && pid !== process.pid && alive(pid)) return null;
      fs.rmSync(file, { force: true });
    }
  }
  return null;
}

function writeRecord(dir: string, record: EffectsRunRecord): void {
  writeFileAtomicSync(path.join(dir, RUN_RECORD), JSON.stringify(record, null, 2) + '\n');
}

/**
 * The record of a run about to train. A resumed run keeps the attempts it continues from (`earlier`), so a run
 * half-trained by other code says so; a fresh start drops them.
 */
function runRecord(run: GridRun, version: CodeVersion, backend: string, resumed: boolean, log: (l: string) => void): EffectsRunRecord {
  let previous: EffectsRunRecord | null = null;
  try {
    previous = resumed ? readRunRecord(run.dir) : null;
  } catch (e) {
    log(`[effects] ${(e as Error).message}: its earlier attempts are not carried over`);
  }
  const earlier = previous ? [...(previous.earlier ?? []), ...(previous.provenance ? [previous.provenance] : [])] : [];
  const provenance: RunProvenance = { ...version, backend, startedAt: new Date().toISOString(), ...(resumed ? { resumed: true } : {}) };
  return { recipe: run.recipe, seed: run.seed, sets: run.sets, provenance, ...(earlier.length > 0 ? { earlier } : {}) };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Run every unfinished run of the grid, in this process: finished runs are reused, interrupted ones resumed from
 * their last checkpoint, runs another `lel effects` process is training are skipped until it finishes them (or
 * its process is gone). A run folder holds `effects-run.json` (recipe and overrides) so the grid it belongs to can
 * be read from disk, with its provenance: the code version this process trains with (commit, modified or not, package
 * versions), the backend and when it started and finished, plus the interrupted attempts a resumed run continued from.
 * Finished runs are reused whatever code trained them; the report lists the code versions behind each setting. Throws
 * when a run is interrupted (run the same command again to continue).
 */
export async function executeGrid(runs: readonly GridRun[], options: { backend?: string; log: (l: string) => void; train?: TrainFn; pollMs?: number; version?: CodeVersion }): Promise<void> {
  const train = options.train ?? trainCommand;
  // Read once: the code this process loaded, even if the checkout moves while the grid trains.
  const version = options.version ?? codeVersion();
  const requestedBackend = options.backend ?? process.env.LEL_BACKEND ?? 'auto';
  const byId = new Map(runs.map((r) => [`${r.key}/seed${r.seed}`, r]));
  let todo = runs.filter((r) => !isFinished(r));
  options.log(`[effects] ${runs.length} runs in the grid, ${runs.length - todo.length} already finished, ${todo.length} to run`);
  let done = 0;
  const total = todo.length;
  while (todo.length > 0) {
    let progressed = false;
    const waiting: GridRun[] = [];
    for (const run of todo) {
      if (isFinished(run)) {
        done++;
        progressed = true;
        continue;
      }
      const deps = run.needs.map((n) => byId.get(n)!);
      if (deps.some((d) => !isFinished(d))) {
        waiting.push(run);
        continue;
      }
      const release = claim(run.dir);
      if (!release) {
        waiting.push(run);
        continue;
      }
      try {
        const resume = fs.existsSync(path.join(run.dir, RUN_FILES.checkpoints, 'last')) ? 'last' : undefined;
        const record = runRecord(run, version, requestedBackend, resume !== undefined, options.log);
        writeRecord(run.dir, record);
        options.log(`[effects] (${++done}/${total}) ${run.recipe} seed ${run.seed} → ${run.dir}${resume ? ' (resuming)' : ''}`);
        const r = await train(run.recipe, { set: run.sets, out: run.dir, ...(resume ? { resume } : {}), backend: options.backend, progress: 'none', noReport: true, log: options.log });
        if (r.interrupted || !r.summary) throw new Error(`effects: interrupted during ${run.dir}; run the same command again to continue`);
        writeRecord(run.dir, { ...record, provenance: { ...record.provenance!, backend: r.backend ?? requestedBackend, finishedAt: new Date().toISOString() } });
      } finally {
        release();
      }
      progressed = true;
    }
    todo = waiting;
    if (todo.length > 0 && !progressed) {
      // Every remaining run waits for another process (or for a run that process is training).
      await sleep(options.pollMs ?? 30_000);
    }
  }
}
