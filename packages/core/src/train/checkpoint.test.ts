import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, afterEach, beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../backend';
import { Module } from '../module/module';
import { SGD } from '../optim';
import { Rng } from '../random/rng';
import {
  CheckpointMismatchError,
  loadCheckpoint,
  readCheckpoint,
  readPointer,
  resolveCheckpoint,
  saveCheckpoint,
  setCheckpointFaultHook,
  verifyCheckpoint,
} from './checkpoint';
import { CheckpointIntegrityError } from './checkpoint-integrity';
import { CheckpointManager } from './checkpoint-manager';
import { NoisyNet, Pair, snapshot, TinyNet } from './fixtures/tiny';
// Node's host (run folders, checkpoints): @lel/core installs it in Node; these tests import the modules directly.
import '../node';

let root: string;
beforeAll(async () => {
  await useBackend('wasm');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-ckpt-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));
afterEach(() => setCheckpointFaultHook(null));

/** One SGD-with-momentum step on a fixed batch, so optimiser slots exist. */
function trainStep(model: TinyNet, opt: SGD): void {
  const x = tf.tensor2d([[1, 2, 3], [0, -1, 1]]);
  const { grads } = tf.variableGrads(() => tf.mean(tf.square(model.forward(x))) as tf.Scalar, [model.w.variable, model.b.variable]);
  const named = new Map<string, tf.Tensor>([
    ['w', grads[model.w.variable.name]!],
    ['b', grads[model.b.variable.name]!],
  ]);
  opt.step(named);
  tf.dispose([x, ...named.values()]);
}

describe('saveCheckpoint / loadCheckpoint', () => {
  test('round-trips weights, buffers, optimiser slots, generators and callback state without leaks', async () => {
    const model = new TinyNet();
    const opt = new SGD(model.trainableParameters(), { lr: 0.1, momentum: 0.9 });
    trainStep(model, opt);
    const rng = new Rng(5);
    rng.next();
    const cb = { name: 'counter', n: 3, state: () => ({ n: 3 }), loadState: (s: unknown) => void (cb.n = (s as { n: number }).n) };
    const dir = path.join(root, 'roundtrip');
    await saveCheckpoint(dir, { model, optimizers: opt, rng, callbacks: [cb] }, { position: { step: 1, epoch: 0, batchInEpoch: 1 }, configHash: 'abc' });
    expect(fs.readdirSync(dir).sort()).toEqual(['model.safetensors', 'optimizer.safetensors', 'state.json']);
    const expectedNext = rng.next();

    const before = tf.memory().numTensors;
    const m2 = new TinyNet(3, 1, 42);
    const o2 = new SGD(m2.trainableParameters(), { lr: 0.5, momentum: 0.9 });
    const r2 = new Rng(0);
    cb.n = 0;
    const loaded = await loadCheckpoint(dir, { model: m2, optimizers: [o2], rng: r2, callbacks: [cb] });
    expect(snapshot(m2)).toEqual(snapshot(model));
    expect(o2.lr).toBe(0.1);
    expect(o2.stepCount).toBe(1);
    expect(Array.from(o2.stateDict().get('momentum_buffer.w')!.dataSync())).toEqual(Array.from(opt.stateDict().get('momentum_buffer.w')!.dataSync()));
    expect(r2.next()).toBe(expectedNext);
    expect(cb.n).toBe(3);
    expect(loaded.manifest).toMatchObject({ format: 'lel-checkpoint', step: 1, batchInEpoch: 1, configHash: 'abc', backend: 'wasm', modules: null });
    // Only the new model's and optimiser's own tensors remain.
    m2.dispose();
    o2.dispose();
    expect(tf.memory().numTensors).toBe(before);
    model.dispose();
    opt.dispose();
  });

  test('a checkpoint of a different model is refused with every difference, and nothing changes; partial loads what matches', async () => {
    const dir = path.join(root, 'mismatch');
    const small = new TinyNet(3, 1);
    await saveCheckpoint(dir, { model: small });
    class Other extends Module {
      readonly w = this.registerParameter('w', tf.ones([4, 1]));
      readonly b = this.registerParameter('b', tf.ones([1]));
      readonly extra = this.registerParameter('extra', tf.ones([2]));
    }
    const other = new Other();
    const before = snapshot(other);
    const err = await loadCheckpoint(dir, { model: other }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CheckpointMismatchError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/3 differences/);
    expect(msg).toMatch(/missing: {4}extra/);
    expect(msg).toMatch(/unexpected: running_mean/);
    expect(msg).toMatch(/mis-shaped: w expected \[4,1\] got \[3,1\]/);
    expect(snapshot(other)).toEqual(before);

    const loaded = await loadCheckpoint(dir, { model: other }, { partial: true });
    expect(loaded.report.missing).toEqual(['extra']);
    expect(Array.from(other.b.variable.dataSync())).toEqual(Array.from(small.b.variable.dataSync()));
    expect(Array.from(other.w.variable.dataSync())).toEqual([1, 1, 1, 1]); // mis-shaped: untouched
    small.dispose();
    other.dispose();
  });

  test('several modules are saved under their names; a single model is refused for them', async () => {
    const dir = path.join(root, 'modules');
    const p = new Pair();
    await saveCheckpoint(dir, { modules: { student: p.a, teacher: p.b } });
    const { model, manifest } = readCheckpoint(dir);
    expect([...model.keys()].sort()).toEqual(['student.b', 'student.running_mean', 'student.w', 'teacher.b', 'teacher.running_mean', 'teacher.w']);
    expect(manifest.modules).toEqual(['student', 'teacher']);
    tf.dispose([...model.values()]);
    const q = new Pair();
    await loadCheckpoint(dir, { modules: { student: q.a, teacher: q.b } });
    expect(snapshot(q)).toEqual(snapshot(p));
    await expect(loadCheckpoint(dir, { model: q.a })).rejects.toThrow(/holds several named modules \(student, teacher\) but a single model was given/);
    p.dispose();
    q.dispose();
  });
});

describe('module generators and extra state in checkpoints', () => {
  test('saved in state.json (prefixed for several modules) and restored with the weights', async () => {
    const dir = path.join(root, 'module-state');
    const a = new NoisyNet(1, 'a');
    const t = new NoisyNet(2, 't');
    tf.tidy(() => void [a.forward(tf.ones([2, 3])), a.forward(tf.ones([2, 3])), t.forward(tf.ones([2, 3]))]);
    await saveCheckpoint(dir, { modules: { student: a, teacher: t } });
    const { manifest, model } = readCheckpoint(dir);
    tf.dispose([...model.values()]);
    expect(Object.keys(manifest.moduleState!.generators)).toEqual(['student.noise', 'teacher.noise']);
    expect(manifest.moduleState!.modules).toEqual({ student: { calls: 2 }, teacher: { calls: 1 } });
    const expected = [a.noise.next(), t.noise.next()];

    const a2 = new NoisyNet(1, 'x');
    const t2 = new NoisyNet(2, 'y');
    const loaded = await loadCheckpoint(dir, { modules: { student: a2, teacher: t2 } });
    expect(loaded.warnings).toEqual([]);
    expect([a2.calls, t2.calls]).toEqual([2, 1]);
    expect([a2.noise.next(), t2.noise.next()]).toEqual(expected);
    for (const m of [a, t, a2, t2]) m.dispose();
  });

  test('a model whose generators or stateful modules differ is refused before anything changes; partial skips them', async () => {
    const dir = path.join(root, 'module-state-mismatch');
    const noisy = new NoisyNet();
    await saveCheckpoint(dir, { model: noisy });
    // Same tensors (TinyNet), but no generator and no extra state: only the module state differs.
    const plain = new TinyNet(3, 1, 5);
    const before = snapshot(plain);
    await expect(loadCheckpoint(dir, { model: plain })).rejects.toThrow(/does not match the model's generators \/ module state:\n {2}unexpected: generator noise\n {2}unexpected: state of module \(root\)/);
    expect(snapshot(plain)).toEqual(before);
    const loaded = await loadCheckpoint(dir, { model: plain }, { partial: true });
    expect(loaded.skipped).toEqual(['module state unexpected: generator noise', 'module state unexpected: state of module (root)']);
    expect(snapshot(plain)).toEqual(snapshot(noisy));
    noisy.dispose();
    plain.dispose();
  });

  test('a checkpoint written before module state was saved loads with a warning and leaves that state as it is', async () => {
    const dir = path.join(root, 'module-state-old');
    const noisy = new NoisyNet();
    tf.tidy(() => void noisy.forward(tf.ones([2, 3])));
    await saveCheckpoint(dir, { model: noisy });
    const file = path.join(dir, 'state.json');
    // Older checkpoints had neither module state nor SHA-256 sums.
    const { moduleState: _dropped, sha256: _sums, ...old } = JSON.parse(fs.readFileSync(file, 'utf8'));
    fs.writeFileSync(file, JSON.stringify(old));

    const fresh = new NoisyNet(1, 'fresh');
    const next = new Rng('fresh').next();
    const loaded = await loadCheckpoint(dir, { model: fresh });
    expect(snapshot(fresh)).toEqual(snapshot(noisy));
    expect(loaded.warnings).toHaveLength(2);
    expect(loaded.warnings[0]).toMatch(/has no SHA-256 sums .*its files cannot be verified/);
    expect(loaded.warnings[1]).toMatch(/has no module generator \/ counter state .*keep their current state, so this continuation is not bit-exact/);
    expect(fresh.calls).toBe(0);
    expect(fresh.noise.next()).toBe(next);
    // A model without generators or extra state gets no module-state warning.
    const plain = new TinyNet();
    expect((await loadCheckpoint(dir, { model: plain })).warnings).toEqual([loaded.warnings[0]]);
    for (const m of [noisy, fresh, plain]) m.dispose();
  });
});

/** Flip one byte of `file` at `at` (negative: from the end). */
function flipByte(file: string, at: number): void {
  const bytes = fs.readFileSync(file);
  const i = at < 0 ? bytes.length + at : at;
  bytes[i] = bytes[i]! ^ 0x01;
  fs.writeFileSync(file, bytes);
}

function integrityError(fn: () => unknown): CheckpointIntegrityError {
  try {
    fn();
  } catch (e) {
    return e as CheckpointIntegrityError;
  }
  throw new Error('the checkpoint was accepted');
}

describe('checkpoint integrity (SHA-256 of every file in the manifest)', () => {
  test('the manifest records the SHA-256 of every file, its own included', async () => {
    const dir = path.join(root, 'sums');
    const model = new TinyNet();
    const opt = new SGD(model.trainableParameters(), { lr: 0.1, momentum: 0.9 });
    trainStep(model, opt);
    await saveCheckpoint(dir, { model, optimizers: opt });
    const m = JSON.parse(fs.readFileSync(path.join(dir, 'state.json'), 'utf8')) as { sha256: Record<string, string>; files: string[] };
    expect(Object.keys(m.sha256)).toEqual(['model.safetensors', 'optimizer.safetensors', 'state.json']);
    expect(m.sha256['model.safetensors']).toMatch(/^[0-9a-f]{64}$/);
    expect(verifyCheckpoint(dir)).toEqual([]);
    model.dispose();
    opt.dispose();
  });

  test('a flipped weight byte is refused naming the file, before anything is loaded', async () => {
    const dir = path.join(root, 'flipped');
    const model = new TinyNet();
    await saveCheckpoint(dir, { model });
    flipByte(path.join(dir, 'model.safetensors'), -2); // inside the last weight: still valid safetensors
    const target = new TinyNet(3, 1, 42);
    const before = snapshot(target);
    const tensors = tf.memory().numTensors;
    await expect(loadCheckpoint(dir, { model: target })).rejects.toThrow(
      new RegExp(`Checkpoint ${dir} is corrupted: ${dir}/model\\.safetensors has SHA-256 [0-9a-f]{16}… but the manifest records [0-9a-f]{16}…; refusing to load it`),
    );
    expect(snapshot(target)).toEqual(before);
    expect(tf.memory().numTensors).toBe(tensors);
    const e = integrityError(() => readCheckpoint(dir));
    expect(e).toBeInstanceOf(CheckpointIntegrityError);
    expect(e.file).toBe(path.join(dir, 'model.safetensors'));
    model.dispose();
    target.dispose();
  });

  test('an edited or damaged state.json, a damaged optimiser file and a missing file are refused', async () => {
    const model = new TinyNet();
    const opt = new SGD(model.trainableParameters(), { lr: 0.1, momentum: 0.9 });
    trainStep(model, opt);
    const save = async (name: string) => {
      const dir = path.join(root, name);
      await saveCheckpoint(dir, { model, optimizers: opt }, { position: { step: 7 } });
      return dir;
    };
    let dir = await save('edited-state');
    const file = path.join(dir, 'state.json');
    fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace('"step": 7', '"step": 8'));
    expect(integrityError(() => verifyCheckpoint(dir)).message).toMatch(/state\.json does not match the SHA-256 it records for itself/);
    dir = await save('truncated-state');
    fs.writeFileSync(path.join(dir, 'state.json'), fs.readFileSync(path.join(dir, 'state.json'), 'utf8').slice(0, 100));
    expect(integrityError(() => verifyCheckpoint(dir)).message).toMatch(/state\.json is unreadable \(is not valid JSON/);
    dir = await save('bad-optimizer');
    flipByte(path.join(dir, 'optimizer.safetensors'), -1);
    expect(integrityError(() => verifyCheckpoint(dir)).file).toBe(path.join(dir, 'optimizer.safetensors'));
    dir = await save('missing-optimizer');
    fs.rmSync(path.join(dir, 'optimizer.safetensors'));
    expect(integrityError(() => verifyCheckpoint(dir)).message).toMatch(/optimizer\.safetensors is missing/);
    model.dispose();
    opt.dispose();
  });

  test('loading `last` falls back to the newest intact checkpoint and says so; a damaged checkpoint named directly is refused', async () => {
    const run = path.join(root, 'fallback-run');
    const mgr = new CheckpointManager(run, { keepLast: 3 });
    const model = new TinyNet();
    const opt = new SGD(model.trainableParameters(), { lr: 0.1, momentum: 0.9 });
    const weights: Record<number, ReturnType<typeof snapshot>> = {};
    for (const step of [2, 4, 6]) {
      trainStep(model, opt);
      weights[step] = snapshot(model);
      await mgr.save(step, { model, optimizers: opt });
    }
    flipByte(path.join(run, 'checkpoints', 'step-000006', 'model.safetensors'), -1);
    const target = new TinyNet(3, 1, 42);
    const o2 = new SGD(target.trainableParameters(), { lr: 0.5, momentum: 0.9 });
    const loaded = await loadCheckpoint('last', { model: target, optimizers: o2 }, { runDir: run });
    expect(loaded.dir).toBe(path.join(run, 'checkpoints', 'step-000004'));
    expect(snapshot(target)).toEqual(weights[4]);
    expect(loaded.warnings).toHaveLength(1);
    expect(loaded.warnings[0]).toMatch(/step-000006 is corrupted: .*step-000006\/model\.safetensors has SHA-256 .*\. Resuming from the previous intact checkpoint, .*step-000004\./);
    // The run folder itself means its last checkpoint: the same fallback.
    expect(readCheckpoint(run).dir).toBe(path.join(run, 'checkpoints', 'step-000004'));
    // Named directly, the damaged checkpoint is refused.
    await expect(loadCheckpoint(path.join(run, 'checkpoints', 'step-000006'), { model: target })).rejects.toThrow(CheckpointIntegrityError);
    // Nothing intact left: refused, listing every damaged file.
    flipByte(path.join(run, 'checkpoints', 'step-000004', 'model.safetensors'), -1);
    fs.rmSync(path.join(run, 'checkpoints', 'step-000002', 'state.json'));
    await expect(loadCheckpoint('last', { model: target }, { runDir: run })).rejects.toThrow(/resume: no intact checkpoint in .*step-000006.*step-000004.*step-000002\/state\.json is missing/);
    for (const x of [model, opt, target, o2]) x.dispose();
  });
});

describe('CheckpointManager (atomic writes, last/best, pruning)', () => {
  const contents = (m: TinyNet) => ({ model: m });

  test('a save interrupted before the rename leaves the previous checkpoint current and loadable', async () => {
    const runDir = path.join(root, 'atomic');
    const model = new TinyNet();
    const mgr = new CheckpointManager(runDir, { keepLast: 3 });
    await mgr.save(10, contents(model));
    const good = snapshot(model);

    model.w.assign(tf.fill([3, 1], 123)); // the new state, never committed
    setCheckpointFaultHook((stage) => {
      if (stage === 'files-written') throw new Error('simulated crash before rename');
    });
    await expect(mgr.save(20, contents(model))).rejects.toThrow(/simulated crash/);
    setCheckpointFaultHook(null);
    // A real crash leaves its temporary folder behind: make one, with a truncated file.
    const leftover = path.join(runDir, 'checkpoints', '.tmp-step-000020-999-1');
    fs.mkdirSync(leftover);
    fs.writeFileSync(path.join(leftover, 'model.safetensors'), Buffer.from([1, 2, 3]));

    expect(readPointer(runDir, 'last')).toEqual({ name: 'step-000010', step: 10 });
    expect(fs.existsSync(path.join(runDir, 'checkpoints', 'step-000020'))).toBe(false);
    const fresh = new TinyNet(3, 1, 77);
    const loaded = await loadCheckpoint('last', { model: fresh }, { runDir });
    expect(loaded.manifest.step).toBe(10);
    expect(snapshot(fresh)).toEqual(good);

    // The next manager cleans up the leftovers.
    new CheckpointManager(runDir);
    expect(fs.readdirSync(path.join(runDir, 'checkpoints')).sort()).toEqual(['last', 'step-000010']);
    model.dispose();
    fresh.dispose();
  });

  test('a crash after the folder rename but before the pointer update keeps the previous pointer; overwriting a folder is atomic too', async () => {
    const runDir = path.join(root, 'atomic2');
    const model = new TinyNet();
    const mgr = new CheckpointManager(runDir);
    await mgr.save(1, contents(model));
    setCheckpointFaultHook((stage) => {
      if (stage === 'folder-renamed') throw new Error('simulated crash before pointer');
    });
    await expect(mgr.save(2, contents(model))).rejects.toThrow(/before pointer/);
    setCheckpointFaultHook(null);
    expect(resolveCheckpoint('last', runDir)).toBe(path.join(runDir, 'checkpoints', 'step-000001'));

    // Overwrite step-000001 in place; a crash between the two renames is recovered by readers.
    const dir1 = path.join(runDir, 'checkpoints', 'step-000001');
    fs.renameSync(dir1, path.join(runDir, 'checkpoints', '.old-step-000001'));
    expect(resolveCheckpoint('last', runDir)).toBe(dir1);
    expect(fs.existsSync(path.join(dir1, 'state.json'))).toBe(true);
    model.dispose();
  });

  test('keeps the last K plus the best; pointers are JSON files', async () => {
    const runDir = path.join(root, 'prune');
    const model = new TinyNet();
    const mgr = new CheckpointManager(runDir, { keepLast: 2, best: { metric: 'acc', mode: 'max' } });
    const accs = [0.1, 0.9, 0.3, 0.2, 0.5];
    for (let i = 0; i < accs.length; i++) {
      await mgr.save(i + 1, contents(model));
      if (mgr.isBetter({ acc: accs[i]! })) mgr.setBest(i + 1, accs[i]!);
    }
    expect(fs.readdirSync(mgr.dir).sort()).toEqual(['best', 'last', 'step-000002', 'step-000004', 'step-000005']);
    expect(readPointer(runDir, 'best')).toEqual({ name: 'step-000002', step: 2, metric: 'acc', mode: 'max', value: 0.9 });
    expect(resolveCheckpoint('best', runDir)).toBe(path.join(mgr.dir, 'step-000002'));
    expect(resolveCheckpoint(runDir)).toBe(path.join(mgr.dir, 'step-000005'));
    expect(() => mgr.isBetter({ loss: 1 })).toThrow(/"acc" is not among the evaluation metrics \(loss\)/);
    expect(() => resolveCheckpoint('last', path.join(root, 'nothing'))).toThrow(/has no last checkpoint/);
    model.dispose();
  });
});
