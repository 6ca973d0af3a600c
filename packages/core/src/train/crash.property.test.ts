// Crash test: a training process is killed with SIGKILL at random moments (after a random step, a random
// few milliseconds into the next one, which may be inside a checkpoint save), resumed with `resume: 'last'`
// each time, and must end with the same weights, optimiser state and metrics.jsonl as a run never killed.
// Kill schedules come from fast-check: one schedule of a few kills in `pnpm test`, as many as fit the time
// under `pnpm fuzz`; a failure prints the seed that replays it.
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { beforeAll, describe, expect, test } from 'vitest';
import { isFuzzMode, runProperty } from '../testing/fuzz';
import { readJsonl, type MetricsRecord } from './jsonl-logger';

// Odd, with logEvery 2: the run ends with a partial log window, flushed after the final checkpoint.
const MAX_STEPS = 13;
const script = fileURLToPath(new URL('./fixtures/crash-train.ts', import.meta.url));
const pkg = fileURLToPath(new URL('../..', import.meta.url));
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-crash-'));

/** Run the training script; `killAt` (step, ms): SIGKILL that many ms after it prints `step <step>` (-1: at start-up). */
function train(runDir: string, killAt?: { step: number; ms: number }): Promise<{ killed: boolean; lastStep: number; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@lel/source', '--import', 'tsx', '--import', './node-hook.mjs', script, runDir, String(MAX_STEPS)], { cwd: pkg, stdio: ['ignore', 'pipe', 'pipe'] });
    let lastStep = -1;
    let killed = false;
    let stderr = '';
    const kill = () => {
      killed = true;
      child.kill('SIGKILL');
    };
    if (killAt?.step === -1) setTimeout(kill, killAt.ms);
    let buffered = '';
    child.stdout.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        const m = /^step (\d+)$/.exec(line);
        if (m) {
          lastStep = Number(m[1]);
          if (killAt && lastStep === killAt.step) setTimeout(kill, killAt.ms);
        }
      }
    });
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (signal === 'SIGKILL' && killed) resolve({ killed: true, lastStep, stderr });
      else if (code === 0) resolve({ killed: false, lastStep, stderr });
      else reject(new Error(`training exited with ${code ?? signal}:\n${stderr.slice(-3000)}`));
    });
  });
}

const volatile = (rs: MetricsRecord[]) => rs.map(({ time: _t, steps_per_sec: _s, ...rest }) => rest);

/** What must match between runs: the final checkpoint's tensor files and the metrics log. */
function outcome(runDir: string): { files: Record<string, string>; metrics: unknown[] } {
  const last = JSON.parse(fs.readFileSync(path.join(runDir, 'checkpoints', 'last'), 'utf8')) as { name: string };
  const ck = path.join(runDir, 'checkpoints', last.name);
  const files: Record<string, string> = {};
  for (const f of fs.readdirSync(ck).filter((f) => f.endsWith('.safetensors'))) files[f] = fs.readFileSync(path.join(ck, f)).toString('base64');
  return { files: { last: last.name, ...files }, metrics: volatile(readJsonl(path.join(runDir, 'metrics.jsonl'))) };
}

describe('kill -9 at random moments, then resume', () => {
  let reference: ReturnType<typeof outcome>;
  beforeAll(async () => {
    const dir = path.join(root, 'reference');
    await train(dir);
    reference = outcome(dir);
    expect(reference.metrics.length).toBeGreaterThan(5);
  }, 120_000);

  test('resuming after every kill ends as the run never killed: weights, optimiser state and metrics', async () => {
    let n = 0;
    // A kill: after step k (or at start-up, k = -1), a few ms into what follows.
    const killArb = fc.record({ step: fc.integer({ min: -1, max: MAX_STEPS - 1 }), ms: fc.integer({ min: 0, max: 40 }) });
    await runProperty(
      'kill -9 and resume',
      (p) =>
        fc.check(
          fc.asyncProperty(fc.array(killArb, { minLength: 1, maxLength: isFuzzMode() ? 8 : 2 }), async (kills) => {
            const dir = path.join(root, `killed-${n++}`);
            for (const k of kills) {
              // Kills past where the run has got to do not land (it finishes first); the next run then resumes a finished run.
              await train(dir, k);
            }
            await train(dir);
            expect(outcome(dir)).toEqual(reference);
            // Resuming a finished run changes nothing (it used to drop the final metrics record).
            await train(dir);
            expect(outcome(dir)).toEqual(reference);
            fs.rmSync(dir, { recursive: true, force: true });
          }),
          // One case trains several processes (tens of seconds): a fuzz share shorter than that cut the first
          // case and reported 0 cases as a failure, so the time limit is at least two cases long.
          p.interruptAfterTimeLimit !== undefined ? { ...p, interruptAfterTimeLimit: Math.max(p.interruptAfterTimeLimit, 100_000) } : p,
        ),
      1,
    );
  }, isFuzzMode() ? undefined : 300_000);
});
