import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import '@tensorflow/tfjs-backend-cpu';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../backend';
import { SGD } from '../optim';
import { fit } from '../train/loop';
import { mse, regressionData, TinyNet } from '../train/fixtures/tiny';
import { tensorBoardLogger } from './callback';
import { decodeEvent, encodeEvent } from './event';
import { parseEventFile, scalarSeries } from './event-file';
import { eventFiles, readEventFile, readTensorBoardScalars } from './reader';
import { crc32c, decodeTfRecords, encodeTfRecord, maskedCrc32c } from './tfrecord';
import { TensorBoardWriter } from './writer';
// Node's host (run folders, checkpoints): @lel/core installs it in Node; these tests import the modules directly.
import '../node';

let root: string;
beforeAll(async () => {
  await useBackend('cpu');
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-tb-'));
});
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

describe('TFRecord framing and Event protos', () => {
  test('CRC-32C check value and TFRecord masking', () => {
    expect(crc32c(new TextEncoder().encode('123456789'))).toBe(0xe3069283); // the Castagnoli check value
    // TensorFlow's masked CRC of an empty payload (crc 0): rotate right 15, add 0xa282ead8.
    expect(maskedCrc32c(new Uint8Array(0))).toBe(0xa282ead8);
    const rec = encodeTfRecord(new Uint8Array([1, 2, 3]));
    expect(rec.length).toBe(19);
    expect(decodeTfRecords(rec).records.map((r) => Array.from(r))).toEqual([[1, 2, 3]]);
  });

  test('events round-trip (scalars, step, session log, writer)', () => {
    const e = { wallTime: 1796408146.25, step: 2 ** 40, scalars: [{ tag: 'a/b', value: 0.5 }, { tag: 'c', value: -3 }], writer: 'lel' };
    expect(decodeEvent(encodeEvent(e))).toEqual(e);
    expect(decodeEvent(encodeEvent({ wallTime: 1, step: 7, sessionLog: { status: 'start' } }))).toEqual({ wallTime: 1, step: 7, sessionLog: { status: 'start' } });
  });

  test('a torn last record is skipped; a corrupt complete record throws with its offset', () => {
    const a = encodeTfRecord(encodeEvent({ wallTime: 1, step: 1, scalars: [{ tag: 'x', value: 1 }] }));
    const b = encodeTfRecord(encodeEvent({ wallTime: 2, step: 2, scalars: [{ tag: 'x', value: 2 }] }));
    const both = new Uint8Array([...a, ...b]);
    for (let cut = a.length; cut < both.length; cut++) {
      const p = parseEventFile(both.subarray(0, cut), 'f');
      expect(p.events.map((e) => e.step)).toEqual([1]);
      expect(p.trailingBytes).toBe(cut - a.length);
    }
    const bad = both.slice();
    bad[a.length + 14] = bad[a.length + 14]! ^ 0xff;
    expect(() => parseEventFile(bad, 'run/events.x')).toThrow(`run/events.x: record at byte ${a.length} (${b.length - 16} bytes) is corrupt (data checksum mismatch)`);
    const badLen = both.slice();
    badLen[0] = 99;
    expect(() => parseEventFile(badLen, 'f')).toThrow('f: record at byte 0 has a corrupt length');
  });

  test('a session START at step s drops earlier points at steps ≥ s', () => {
    const series = scalarSeries([
      { wallTime: 1, step: 1, scalars: [{ tag: 'l', value: 1 }] },
      { wallTime: 2, step: 2, scalars: [{ tag: 'l', value: 2 }] },
      { wallTime: 3, step: 3, scalars: [{ tag: 'l', value: 3 }] },
      { wallTime: 4, step: 2, sessionLog: { status: 'start' } },
      { wallTime: 5, step: 2, scalars: [{ tag: 'l', value: 20 }] },
    ]);
    expect(series.get('l')!.map((p) => [p.step, p.value])).toEqual([
      [1, 1],
      [2, 20],
    ]);
  });
});

describe('TensorBoardWriter', () => {
  test('what it writes reads back; earlier records survive a crash mid-record', () => {
    const dir = path.join(root, 'writer');
    let t = 100;
    const w = new TensorBoardWriter(dir, { now: () => t++, fsync: false });
    expect(path.basename(w.file)).toMatch(/^events\.out\.tfevents\.100\..+\.\d+\.\d+$/);
    w.addScalar('train/loss', 2.5, 0);
    w.addScalars({ loss: 1.75, acc: 0.5 }, 1, 'train/');
    w.addScalar('val/miou', 0.25, 1);
    w.close();
    const s = readTensorBoardScalars(dir);
    expect(s.get('train/loss')!.map((p) => [p.step, p.value, p.wallTime])).toEqual([
      [0, 2.5, 102],
      [1, 1.75, 103],
    ]);
    expect(s.get('train/acc')!.map((p) => p.value)).toEqual([0.5]);
    // Simulate a crash in the middle of appending a record: half a frame at the end.
    const extra = encodeTfRecord(encodeEvent({ wallTime: 9, step: 2, scalars: [{ tag: 'train/loss', value: 1 }] }));
    fs.appendFileSync(w.file, extra.subarray(0, 10));
    const parsed = readEventFile(w.file);
    expect(parsed.trailingBytes).toBe(10);
    expect(readTensorBoardScalars(dir).get('train/loss')!.length).toBe(2);
    expect(() => w.addScalar('x', 1, 1)).toThrow(/is closed/);
  });
});

describe('tensorBoardLogger (fit callback)', () => {
  const run = (runDir: string, maxSteps: number, resume?: string) => {
    const model = new TinyNet();
    return fit({
      model,
      optimizer: new SGD(model.trainableParameters(), { lr: 0.05 }),
      data: { labeled: regressionData(16, 4) },
      step: (b) => {
        const l = mse(model.forward(b.x), b.y);
        return { total: l, mse: l };
      },
      evaluate: () => ({ score: 1 }),
      evalEvery: { steps: 3 },
      maxSteps,
      runDir,
      logEvery: 2,
      checkpoint: { every: { steps: 3 } },
      progress: 'none',
      callbacks: [tensorBoardLogger({ logEvery: 2 })],
      ...(resume ? { resume } : {}),
    }).finally(() => model.dispose());
  };

  test('writes the same training means as metrics.jsonl, evaluations as val/*, and one curve after a resume', async () => {
    const runDir = path.join(root, 'fit');
    const r = await run(runDir, 5);
    const tb = readTensorBoardScalars(path.join(runDir, 'tensorboard'));
    const train = r.history.filter((h) => h.type === 'train');
    expect(tb.get('train/mse')!.map((p) => p.step)).toEqual(train.map((h) => h.step));
    for (const key of Object.keys(train[0]!).filter((k) => !['type', 'step', 'epoch', 'time', 'lr', 'steps_per_sec'].includes(k))) {
      expect(tb.get(`train/${key}`), key).toBeDefined();
      tb.get(`train/${key}`)!.forEach((p, i) => expect(p.value).toBeCloseTo(train[i]![key] as number, 5));
    }
    expect(tb.get('train/lr')!.every((p) => Math.abs(p.value - 0.05) < 1e-7)).toBe(true);
    expect(tb.get('val/score')!.map((p) => p.step)).toEqual([3]);
    // Resume from the step-3 checkpoint... of a longer run: a new file purges steps > 3 of the old one.
    const step3 = fs.readdirSync(path.join(runDir, 'checkpoints')).find((d) => /0*3$/.test(d));
    expect(step3, fs.readdirSync(path.join(runDir, 'checkpoints')).join(', ')).toBeDefined();
    const r2 = await run(runDir, 7, path.join(runDir, 'checkpoints', step3!));
    expect(r2.resumedFrom).toBeDefined();
    expect(eventFiles(path.join(runDir, 'tensorboard')).length).toBe(2);
    const after = readTensorBoardScalars(path.join(runDir, 'tensorboard'));
    const steps = after.get('train/mse')!.map((p) => p.step);
    expect(steps).toEqual([...new Set(steps)].sort((a, b) => a - b)); // no step twice
    expect(steps.at(-1)).toBe(7);
    // Steps 4–5 of the first run were abandoned: their points come from the resumed run only.
    const first = tb.get('train/mse')!.find((p) => p.step === 4)!;
    const second = after.get('train/mse')!.find((p) => p.step === 4)!;
    expect(second.wallTime).toBeGreaterThanOrEqual(first.wallTime);
    expect(after.get('train/mse')!.filter((p) => p.step === 4).length).toBe(1);
  });

  test('without a run folder it asks for a dir', async () => {
    const model = new TinyNet();
    await expect(
      fit({ model, optimizer: new SGD(model.trainableParameters(), { lr: 0.1 }), data: { labeled: regressionData(8, 4) }, step: (b) => ({ total: mse(model.forward(b.x), b.y) }), maxSteps: 1, progress: 'none', callbacks: [tensorBoardLogger()] }),
    ).rejects.toThrow(/no runDir; give the logger a dir/);
    model.dispose();
  });
});
