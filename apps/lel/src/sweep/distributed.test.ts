import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { readMetrics } from '../run-dir';
import { tempDir } from '../testing';
import { checkpointStep, readRunRecord, type RunRecord } from './run-record';
import type { SweepReport } from './report';

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'bin', 'lel.js');

/** A Redis (or Valkey) server binary: Debian's redis-server, installed by .ci/run. */
const server = [process.env.LEL_REDIS_SERVER, '/usr/bin/redis-server', '/usr/bin/valkey-server'].find((p): p is string => !!p && fs.existsSync(p));
if (!server) console.warn('[sweep test] no redis-server or valkey-server (apt-get install redis-server): the BullMQ test is skipped');

const MAX_STEPS = 40;
/** A tiny mil-ib grid: 2 arms × 2 seeds, a checkpoint every 5 of 40 steps. */
const SPEC = `name: grid
recipe: mil-ib
set:
  data: { labelled: { n: 6, heldOut: 6 } }
  mil: { hiddenDim: 8, attentionDim: 4, numSamples: 2, topK: 4 }
  train: { maxSteps: ${MAX_STEPS}, evalEvery: 20, checkpointEvery: 5, logEvery: 1 }
arms:
  - label: clam-sb
    set: { mil.useIb: false }
  - label: mil-ib
seeds: 2
report:
  baseline: clam-sb
`;
/** A run that diverges (NaN loss at once): a failure of the run itself. */
const BAD_SPEC = `name: diverges
recipe: mil-ib
set:
  data: { labelled: { n: 6, heldOut: 6 } }
  mil: { hiddenDim: 8, attentionDim: 4, numSamples: 2, topK: 4, lr: 1.0e+30 }
  train: { maxSteps: 20, logEvery: 1 }
seeds: [0]
`;

const started: ChildProcess[] = [];
afterAll(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
});

/** Run the CLI (through the bin launcher); `done` resolves with its exit status and output. */
interface Lel {
  child: ChildProcess;
  done: Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>;
  /** Output so far (for failure messages). */
  output: () => string;
}

function lel(args: string[], cwd: string): Lel {
  // Not INIT_CWD / npm_lifecycle_event: under `npx vitest` they would move the CLI to the repository root.
  const { INIT_CWD: _cwd, npm_lifecycle_event: _event, ...env } = process.env;
  const child = spawn(process.execPath, [bin, ...args], { cwd, env: { ...env, LEL_BACKEND: 'wasm' } });
  started.push(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d) => (stdout += d));
  child.stderr!.on('data', (d) => (stderr += d));
  const done = new Promise<{ code: number | null; signal: string | null; stdout: string; stderr: string }>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
  return { child, done, output: () => `lel ${args.join(' ')} (${child.exitCode !== null ? `exited ${child.exitCode}` : 'running'}):\n${stderr}${stdout}` };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/** A Redis on a free loopback port, with a temporary folder and no persistence. */
async function startRedis(dir: string): Promise<{ url: string; stop: () => Promise<void> }> {
  const port = await freePort();
  const child = spawn(server!, ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', '--protected-mode', 'yes'], { stdio: ['ignore', 'pipe', 'pipe'] });
  started.push(child);
  let out = '';
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`redis-server did not start on port ${port}:\n${out}`)), 20_000);
    child.stdout!.on('data', (d) => {
      out += d;
      if (out.includes('Ready to accept connections')) {
        clearTimeout(t);
        resolve();
      }
    });
    child.on('exit', (code) => reject(new Error(`redis-server exited (${code}):\n${out}`)));
  });
  return {
    url: `redis://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => (child.exitCode !== null ? resolve() : (child.once('exit', () => resolve()), child.kill('SIGTERM')))),
  };
}

/** Whether a process is alive (a zombie waiting for its new parent to reap it is not). */
function alive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
}

/** Poll until `f` returns a value (or fail after `ms`). */
async function until<T>(what: string, ms: number, f: () => T | undefined, context: () => string = () => '', every = 50): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = f();
    if (v !== undefined) return v;
    if (Date.now() - t0 > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}\n${context()}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

/** A run of the sweep folder in the middle of training: a checkpoint written, at least 15 steps to go. */
function runMidway(sweepDir: string): { dir: string; record: RunRecord; step: number } | undefined {
  if (!fs.existsSync(sweepDir)) return undefined;
  for (const id of fs.readdirSync(sweepDir)) {
    const dir = path.join(sweepDir, id);
    const step = fs.existsSync(path.join(dir, 'checkpoints', 'last')) ? checkpointStep(dir) : undefined;
    if (step === undefined || step > MAX_STEPS - 15 || fs.existsSync(path.join(dir, 'summary.json'))) continue;
    let record: RunRecord | undefined;
    try {
      record = readRunRecord(dir);
    } catch {
      continue; // being written
    }
    const a = record?.attempts.at(-1);
    if (record?.state === 'running' && a?.trainPid !== undefined) return { dir, record, step };
  }
  return undefined;
}

/**
 * The killed run continued from its checkpoint: one metrics record per step; those up to the checkpoint written by
 * the killed attempt (before the next one started), the rest by the attempt that resumed.
 */
function expectResumed(dir: string, killedAt: number): void {
  const record = readRunRecord(dir)!;
  expect(record.state).toBe('done');
  const last = record.attempts.at(-1)!;
  expect(record.attempts.length).toBeGreaterThanOrEqual(2);
  expect(last.outcome).toBe('done');
  // The training may finish a step (and write a checkpoint) between the kill and its own death.
  expect(last.resumedFromStep).toBeGreaterThanOrEqual(killedAt);
  expect(last.resumedFromStep).toBeLessThan(MAX_STEPS);
  expect(fs.readFileSync(path.join(dir, 'train.log'), 'utf8')).toMatch(new RegExp(`resuming from the checkpoint of step ${last.resumedFromStep}`));
  const train = readMetrics(dir).filter((r) => r.type === 'train');
  expect(train.map((r) => r.step)).toEqual(Array.from({ length: MAX_STEPS }, (_, i) => i + 1));
  const resumedAt = Date.parse(last.started);
  for (const r of train.filter((x) => x.step <= last.resumedFromStep!)) expect(Date.parse(r.time)).toBeLessThan(resumedAt);
  for (const r of train.filter((x) => x.step > last.resumedFromStep!)) expect(Date.parse(r.time)).toBeGreaterThan(resumedAt);
}

/** The parts of a report that must not depend on where or how the runs ran. */
function tables(file: string): Pick<SweepReport, 'rows' | 'paired' | 'metrics'> & { cells: unknown[] } {
  const r = JSON.parse(fs.readFileSync(file, 'utf8')) as SweepReport;
  return { rows: r.rows, paired: r.paired, metrics: r.metrics, cells: r.cells.map((c) => ({ arm: c.arm, seed: c.seed, id: c.id, status: c.status, metrics: c.metrics, steps: c.steps })) };
}

describe.skipIf(!server)('lel sweep on BullMQ (real redis-server on loopback)', () => {
  it('3 workers, one killed with kill -9 mid-run: the run resumes from its checkpoint elsewhere and the table equals a local one-worker sweep; a diverging run fails once, with its error', { timeout: 900_000 }, async () => {
    const root = tempDir('sweep-e2e');
    fs.writeFileSync(path.join(root, 'grid.yaml'), SPEC);
    fs.writeFileSync(path.join(root, 'diverges.yaml'), BAD_SPEC);

    // The two sweeps run side by side (each is mostly one process at a time: together they use both cores).
    // ---- locally, one worker; its training process is killed mid-run and retried from the checkpoint ----
    const localSweep = async () => {
      const local = lel(['sweep', 'grid.yaml', '--workers', '1', '--runs-dir', 'local', '--progress', 'lines'], root);
      const localVictim = await until('a local run past a checkpoint', 300_000, () => runMidway(path.join(root, 'local', 'grid')), local.output);
      process.kill(localVictim.record.attempts.at(-1)!.trainPid!, 'SIGKILL');
      const l = await local.done;
      expect(l.code, l.stderr).toBe(0);
      expect(l.stderr).toMatch(/\[sweep\] retry {3}\S+ .*was killed \(SIGKILL\) — starting it again from its last checkpoint/);
      expectResumed(localVictim.dir, localVictim.step);
      expect(l.stdout).toContain('| mil-ib − clam-sb | 2 |');
    };

    // ---- the same sweep on three workers through a real Redis ----
    const distributedSweep = async () => {
      const redis = await startRedis(root);
      try {
        const submit = lel(['sweep', 'grid.yaml', '--queue', redis.url, '--runs-dir', 'shared', '--progress', 'lines'], root);
        const bad = lel(['sweep', 'diverges.yaml', '--queue', redis.url, '--runs-dir', 'shared', '--progress', 'lines'], root);
        // Short locks so a dead worker's run moves on within seconds (BullMQ's default is 30 s).
        // One of them ends by itself once the queue is empty (as a batch job would).
        const workers = [0, 1, 2].map((i) => lel(['worker', '--queue', redis.url, '--runs-dir', 'shared', '--lock-duration', '3000', '--stalled-interval', '1000', ...(i === 0 ? ['--exit-when-idle', '2'] : [])], root));
        const victim = await until('a distributed run past a checkpoint', 300_000, () => runMidway(path.join(root, 'shared', 'grid')), () => [submit, ...workers].map((p) => p.output()).join('\n'));
        const killedWorker = victim.record.attempts.at(-1)!.pid;
        const killedTrain = victim.record.attempts.at(-1)!.trainPid!;
          process.kill(killedWorker, 'SIGKILL');
        // The training process dies with its worker (it must not train on beside the next one).
        await until('the killed worker’s training process to die', 10_000, () => (alive(killedTrain) ? undefined : true));
        const s = await submit.done;
        expect(s.code, s.stderr).toBe(0);
        expect(s.stderr).toMatch(/4 enqueued/);
        expect(s.stderr).toMatch(new RegExp(`done {4}${path.basename(victim.dir)} .* \\(resumed from step \\d+\\)`));
        expectResumed(victim.dir, victim.step);
        const record = readRunRecord(victim.dir)!;
        expect(record.attempts.at(-1)!.pid).not.toBe(killedWorker);

        // The diverging run failed once, with its error, and was not retried.
        const b = await bad.done;
        expect(b.code).toBe(1);
        expect(b.stderr).toMatch(/FAILED {2}\S+ mil-ib seed=0: .*NaN/);
        const badDir = path.join(root, 'shared', 'diverges', fs.readdirSync(path.join(root, 'shared', 'diverges')).find((f) => /^[0-9a-f]{12}$/.test(f))!);
        const badRecord = readRunRecord(badDir)!;
        expect(badRecord.state).toBe('failed');
        expect(badRecord.attempts).toHaveLength(1);
        expect(badRecord.error).toMatch(/NaN/);
        const status = lel(['sweep', 'status', 'shared/diverges', '--queue', redis.url], root);
        const st = await status.done;
        expect(st.code, st.stderr).toBe(0);
        expect(st.stdout).toMatch(/mil-ib +— +0 +[0-9a-f]{12} +failed \(failed\) .*NaN/);

        // A re-submitted sweep skips the finished runs.
        const again = lel(['sweep', 'grid.yaml', '--queue', redis.url, '--runs-dir', 'shared', '--detach'], root);
        const a = await again.done;
        expect(a.code, a.stderr).toBe(0);
        expect(a.stderr).toMatch(/0 enqueued, 0 failed before and queued again, 0 already queued, 4 finished/);

        // Workers stop on SIGTERM (or stopped by themselves, idle).
        for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
        const exits = await Promise.all(workers.map((w) => w.done));
        expect(exits.filter((e) => e.code === 0)).toHaveLength(2); // the killed one's launcher died with it
      } finally {
        await redis.stop();
      }
    };

    await Promise.all([localSweep(), distributedSweep()]);
    // Same seeds, same numbers: the gathered table equals the local one.
    expect(tables(path.join(root, 'shared', 'grid', 'report.json'))).toEqual(tables(path.join(root, 'local', 'grid', 'report.json')));
    expect(fs.readFileSync(path.join(root, 'shared', 'grid', 'report.md'), 'utf8')).toBe(fs.readFileSync(path.join(root, 'local', 'grid', 'report.md'), 'utf8'));
  });
});
