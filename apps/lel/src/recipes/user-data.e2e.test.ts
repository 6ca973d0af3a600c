import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePalettePng, encodePng } from '@lel/datasets/node';
import { evalCommand } from '../eval';
import { predictCommand } from '../predict';
import { missingRunFiles, readSummary } from '../run-dir';
import { tempDir } from '../testing';
import { trainCommand } from '../train';

const quiet = () => {};
const SIDE = 16;

/** A scene the way a user's data looks: a background, a bright square (class 1) and a dark bar (class 2). */
function scene(i: number): { image: Float32Array; mask: Int32Array } {
  const image = new Float32Array(SIDE * SIDE * 3).fill(0.5);
  const mask = new Int32Array(SIDE * SIDE);
  const x0 = 1 + (i % 7);
  const y0 = 2 + ((i * 3) % 6);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      const p = y * SIDE + x;
      if (x >= x0 && x < x0 + 5 && y >= y0 && y < y0 + 5) {
        mask[p] = 1;
        image.fill(0.95, 3 * p, 3 * p + 3);
      } else if (y === (i % 2 === 0 ? 13 : 14) && x > 2) {
        mask[p] = 2;
        image.fill(0.05, 3 * p, 3 * p + 3);
      }
    }
  }
  // The first pixel row is unlabelled (255), as VOC's object borders are.
  if (i % 3 === 0) mask.fill(255, 0, SIDE);
  return { image, mask };
}

/** `<root>/labelled/{images,masks}/scene-<i>.png` with `n` scenes, and `<root>/raw/` with `raw` images and no masks. */
function writeSegmentationFolders(root: string, n: number, raw: number): { labelled: string; unlabelled: string } {
  const labelled = path.join(root, 'labelled');
  const unlabelled = path.join(root, 'raw');
  for (const d of [path.join(labelled, 'images'), path.join(labelled, 'masks'), unlabelled]) fs.mkdirSync(d, { recursive: true });
  for (let i = 0; i < n; i++) {
    const s = scene(i);
    fs.writeFileSync(path.join(labelled, 'images', `scene-${i}.png`), encodePng({ data: s.image, height: SIDE, width: SIDE, channels: 3 }));
    fs.writeFileSync(path.join(labelled, 'masks', `scene-${i}.png`), encodePalettePng(s.mask, SIDE, SIDE));
  }
  for (let i = 0; i < raw; i++) fs.writeFileSync(path.join(unlabelled, `photo-${i}.png`), encodePng({ data: scene(100 + i).image, height: SIDE, width: SIDE, channels: 3 }));
  return { labelled, unlabelled };
}

const TINY_RUN = ['train.maxSteps=3', 'train.evalEvery=2', 'train.checkpointEvery=2', 'train.logEvery=1', 'train.labelledBatchSize=2', 'train.unlabelledBatchSize=2'];

describe('lel train on the user\'s own folders', () => {
  it('cct trains from an images/ + masks/ folder and a folder of raw images, then eval and predict reuse the run\'s split', async () => {
    const root = tempDir('user-seg');
    const { labelled, unlabelled } = writeSegmentationFolders(root, 10, 6);
    const out = path.join(root, 'run');
    const sets = [`data.labelled=${labelled}`, `data.unlabelled=${unlabelled}`, `data.size=${SIDE}`, 'data.devFraction=0.3', ...TINY_RUN];
    const r = await trainCommand('cct', { set: sets, out, progress: 'none', log: quiet, backend: 'wasm' });
    expect(r.interrupted).toBe(false);
    expect(missingRunFiles(out)).toEqual([]);
    const summary = readSummary(out);
    expect(summary.steps).toBe(3);
    // The label map comes from the masks (values 0, 1, 2; 255 ignored).
    expect(summary.classNames).toEqual(['0', '1', '2']);
    for (const [k, v] of Object.entries(summary.metrics)) expect(Number.isFinite(v), `${k}=${v}`).toBe(true);
    // The split was recorded: 3 of the 10 scenes for dev, the other 7 labelled, the raw images unlabelled.
    const split = JSON.parse(fs.readFileSync(path.join(out, 'data', 'split.json'), 'utf8')) as { parts: Record<string, { indices: number[] }[]> };
    expect(split.parts.dev![0]!.indices).toHaveLength(3);
    expect(split.parts.labelled![0]!.indices).toHaveLength(7);
    expect(split.parts.unlabelled!.map((p) => p.indices.length)).toEqual([6]);

    const ev = await evalCommand(out, { log: quiet, backend: 'wasm' });
    for (const [k, v] of Object.entries(ev.metrics)) expect(v, k).toBeCloseTo(summary.metrics[k]!, 5);
    const p = await predictCommand(out, [path.join(unlabelled, 'photo-0.png')], { backend: 'wasm' });
    expect(Object.keys(p.predictions[0]!.probabilities!).every((c) => ['0', '1', '2'].includes(c))).toBe(true);
    expect(fs.readFileSync(p.predictions[0]!.output!).subarray(1, 4).toString()).toBe('PNG');
  });

  it('cct-supervised needs no unlabelled folder; cct without one says which key to set', async () => {
    const root = tempDir('user-seg-sup');
    const { labelled } = writeSegmentationFolders(root, 8, 0);
    const sets = [`data.labelled=${labelled}`, `data.size=${SIDE}`, 'data.devFraction=0.25', ...TINY_RUN];
    const r = await trainCommand('cct-supervised', { set: sets, out: path.join(root, 'sup'), progress: 'none', log: quiet, backend: 'wasm' });
    expect(readSummary(r.runDir).steps).toBe(3);
    await expect(trainCommand('cct', { set: sets, out: path.join(root, 'semi'), progress: 'none', log: quiet, backend: 'wasm' })).rejects.toThrow(/data\.unlabelled: semi-supervised CCT needs unlabelled images/);
  });

  it('a wrong layout is an error naming the folder or the file', async () => {
    const root = tempDir('user-seg-bad');
    const { labelled, unlabelled } = writeSegmentationFolders(root, 6, 2);
    const run = (sets: string[], name: string) => trainCommand('cct', { set: [...sets, `data.size=${SIDE}`, ...TINY_RUN], out: path.join(root, name), progress: 'none', log: quiet, backend: 'wasm' });
    // Raw images where masks are needed.
    await expect(run([`data.labelled=${unlabelled}`], 'a')).rejects.toThrow(new RegExp(`data\\.labelled: ${unlabelled.replace(/[/.]/g, '\\$&')} has no masks`));
    // An image without its mask.
    fs.rmSync(path.join(labelled, 'masks', 'scene-2.png'));
    await expect(run([`data.labelled=${labelled}`, `data.unlabelled=${unlabelled}`], 'b')).rejects.toThrow(/masks\/scene-2\.png: missing mask for image .*images\/scene-2\.png/);
    // A folder that does not exist.
    await expect(run([`data.labelled=${path.join(root, 'nope')}`], 'c')).rejects.toThrow(/nope/);
    // Nothing was written for the refused runs.
    expect(fs.existsSync(path.join(root, 'b', 'checkpoints'))).toBe(false);
  });

  it('a text recipe trains from a TSV file of labelled sentences, and a bad file is named', async () => {
    const root = tempDir('user-text');
    const good = ['a wonderful product that works', 'great value and very happy', 'excellent quality, recommended', 'i love it, works perfectly', 'superb and reliable'];
    const bad = ['broke after a day', 'terrible, avoid it', 'waste of money', 'stopped working quickly', 'awful quality, returned it'];
    const rows = ['text\tlabel', ...Array.from({ length: 30 }, (_, i) => (i % 2 === 0 ? `${good[i % 5]} ${i}\tpos` : `${bad[i % 5]} ${i}\tneg`))];
    const tsv = path.join(root, 'reviews.tsv');
    fs.writeFileSync(tsv, rows.join('\n') + '\n');
    const tiny = ['bert.from=pretrain', 'bert.pretrain.steps=2', 'bert.pretrain.maxDocuments=3', 'bert.pretrain.vocabSize=300', 'train.maxSteps=3', 'train.evalEvery=2', 'train.logEvery=1'];
    const out = path.join(root, 'run');
    await trainCommand('peft-lora', { set: [`data.labelled=${tsv}`, 'data.devFraction=0.2', ...tiny], out, progress: 'none', log: quiet, backend: 'wasm' });
    const summary = readSummary(out);
    expect(summary.steps).toBe(3);
    expect([...summary.classNames!].sort()).toEqual(['neg', 'pos']);
    for (const [k, v] of Object.entries(summary.metrics)) expect(Number.isFinite(v), `${k}=${v}`).toBe(true);
    const p = await predictCommand(out, ['a wonderful product'], { backend: 'wasm' });
    expect(Object.keys(p.predictions[0]!.probabilities!).sort()).toEqual(['neg', 'pos']);

    const broken = path.join(root, 'broken.tsv');
    fs.writeFileSync(broken, 'sentence\tlabel\nfine\tpos\n');
    await expect(trainCommand('peft-lora', { set: [`data.labelled=${broken}`, ...tiny], out: path.join(root, 'broken-run'), progress: 'none', log: quiet, backend: 'wasm' })).rejects.toThrow(/broken\.tsv/);
  });

  it('keys of the former data and training sections say where they live now', async () => {
    const cct = trainCommand('cct', { printConfig: true, set: ['data.scenes=16', 'cct.train.epochs=3'] });
    await expect(cct).rejects.toThrow(/data\.scenes: moved to data\.labelled\.n/);
    await expect(cct).rejects.toThrow(/cct\.train\.epochs: moved to train\.epochs/);
    await expect(trainCommand('peft-lora', { printConfig: true, set: ['data.perClass=4'] })).rejects.toThrow(/data\.perClass: moved to data\.labelled\.perClass/);
  });
});
