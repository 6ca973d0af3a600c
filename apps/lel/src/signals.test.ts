import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { readMetrics, readSummary } from './run-dir';
import { INTERRUPTED_EXIT_CODE } from './signals';
import { tempDir } from './testing';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'lel.js');

/** Run the CLI (through the bin launcher) in a child process. */
function lel(args: string[], onStart?: (pid: number) => void): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, LEL_BACKEND: 'wasm' } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr, stdout }));
    onStart?.(child.pid!);
  });
}

const SETS = ['data.labelled.n=16', 'data.labelled.heldOut=4', 'train.maxSteps=24', 'train.checkpointEvery=2', 'train.evalEvery=1000', 'train.logEvery=1', 'train.epochs=12'];

describe('Ctrl-C and --resume', () => {
  it('SIGINT finishes the step, saves a checkpoint, exits 130; --resume last continues from it', async () => {
    const out = path.join(tempDir('resume'), 'run');
    const metrics = path.join(out, 'metrics.jsonl');
    let interruptedAt = -1;
    const first = await lel(['train', 'cct', '--out', out, '--progress', 'none', ...SETS.flatMap((s) => ['--set', s])], (pid) => {
      // Interrupt once a few steps are logged (the launcher passes the signal on to the CLI).
      const timer = setInterval(() => {
        const n = fs.existsSync(metrics) ? fs.readFileSync(metrics, 'utf8').split('\n').filter(Boolean).length : 0;
        if (n >= 2) {
          clearInterval(timer);
          interruptedAt = n;
          process.kill(pid, 'SIGTERM');
        }
      }, 100);
    });
    expect(first.stderr).toContain('finishing the current step and saving a checkpoint');
    expect(first.code).toBe(INTERRUPTED_EXIT_CODE);
    expect(interruptedAt).toBeGreaterThanOrEqual(2);
    expect(fs.existsSync(path.join(out, 'summary.json'))).toBe(false);
    const last = JSON.parse(fs.readFileSync(path.join(out, 'checkpoints', 'last'), 'utf8')) as { name: string; step: number };
    expect(last.step).toBeGreaterThanOrEqual(2);
    expect(last.step).toBeLessThan(24);

    const before = readMetrics(out).filter((r) => r.type === 'train' && r.step <= last.step);
    expect(before.length).toBe(last.step);

    // Continue with the run's own resolved config.
    const second = await lel(['train', 'cct', '--out', out, '--resume', 'last', '--progress', 'none']);
    expect(second.code, second.stderr).toBe(0);
    expect(second.stderr).toContain(`resuming from last`);
    const summary = readSummary(out);
    expect(summary.steps).toBe(24);
    const steps = readMetrics(out).filter((r) => r.type === 'train').map((r) => r.step);
    // One record per step, no gap and no duplicate across the interruption.
    expect(steps).toEqual(Array.from({ length: 24 }, (_, i) => i + 1));
    // The records before the checkpoint are the first process's own (same timestamps): training continued, not restarted.
    const after = readMetrics(out).filter((r) => r.type === 'train' && r.step <= last.step);
    expect(after.map((r) => r.time)).toEqual(before.map((r) => r.time));
  });

  it('refuses to start a fresh run over a folder with checkpoints, naming --resume', async () => {
    const out = path.join(tempDir('clash'), 'run');
    const a = await lel(['train', 'cct', '--out', out, '--progress', 'none', '--set', 'data.labelled.n=16', '--set', 'data.labelled.heldOut=4', '--set', 'train.maxSteps=2']);
    expect(a.code, a.stderr).toBe(0);
    const b = await lel(['train', 'cct', '--out', out, '--progress', 'none']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/already holds a run with checkpoints: continue it with --resume last/);
  });
});
