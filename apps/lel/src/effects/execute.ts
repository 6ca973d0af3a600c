import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '@lel/core/node';
import { RUN_FILES } from '../run-dir';
import { trainCommand, type TrainOptions, type TrainOutcome } from '../train';
import type { GridRun } from './grid';

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

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Run every unfinished run of the grid, in this process: finished runs are reused, interrupted ones resumed from
 * their last checkpoint, runs another `lel effects` process is training are skipped until it finishes them (or
 * its process is gone). A run folder holds `effects-run.json` (recipe and overrides) so the grid it belongs to can
 * be read from disk. Throws when a run is interrupted (run the same command again to continue).
 */
export async function executeGrid(runs: readonly GridRun[], options: { backend?: string; log: (l: string) => void; train?: TrainFn; pollMs?: number }): Promise<void> {
  const train = options.train ?? trainCommand;
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
        writeFileAtomicSync(path.join(run.dir, 'effects-run.json'), JSON.stringify({ recipe: run.recipe, seed: run.seed, sets: run.sets }, null, 2) + '\n');
        const resume = fs.existsSync(path.join(run.dir, RUN_FILES.checkpoints, 'last')) ? 'last' : undefined;
        options.log(`[effects] (${++done}/${total}) ${run.recipe} seed ${run.seed} → ${run.dir}${resume ? ' (resuming)' : ''}`);
        const r = await train(run.recipe, { set: run.sets, out: run.dir, ...(resume ? { resume } : {}), backend: options.backend, progress: 'none', noReport: true, log: options.log });
        if (r.interrupted || !r.summary) throw new Error(`effects: interrupted during ${run.dir}; run the same command again to continue`);
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
