import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePalettePng, encodePng, readImage } from '@lel/datasets/node';
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

/** `<dir>/<class>/img-<i>.png`: one pattern per class (a bar, a column, a square, …) at jittered places. */
function writeClassFolders(dir: string, classes: string[], perClass: number, seed: number): string {
  classes.forEach((c, k) => {
    fs.mkdirSync(path.join(dir, c), { recursive: true });
    for (let i = 0; i < perClass; i++) {
      const img = new Float32Array(SIDE * SIDE).fill(0.1);
      const o = (seed + i * 3 + k) % 4;
      for (let y = 0; y < SIDE; y++) {
        for (let x = 0; x < SIDE; x++) {
          const on = [y === 6 + o, x === 6 + o, x >= 4 + o && x < 9 + o && y >= 4 && y < 9, x === y, x === 3 + o || y === 3 + o, (x - 8) ** 2 + (y - 8) ** 2 < 5][(k + (seed ? 3 : 0)) % 6];
          if (on) img[y * SIDE + x] = 0.9;
        }
      }
      fs.writeFileSync(path.join(dir, c, `img-${i}.png`), encodePng({ data: img, height: SIDE, width: SIDE, channels: 1 }));
    }
  });
  return dir;
}

/** `<dir>/{negative,positive}/bag-<i>/inst-<j>.png`: 4 grey instances per bag, a positive bag holds a bright square. */
function writeBagFolders(dir: string, perLabel: number): string {
  for (const label of ['negative', 'positive']) {
    for (let b = 0; b < perLabel; b++) {
      const bag = path.join(dir, label, `bag-${b}`);
      fs.mkdirSync(bag, { recursive: true });
      for (let j = 0; j < 4; j++) {
        const img = new Float32Array(SIDE * SIDE).fill(0.2 + 0.05 * ((b + j) % 3));
        if (label === 'positive' && j === b % 4) for (let y = 4; y < 10; y++) img.fill(0.95, y * SIDE + 4, y * SIDE + 10);
        fs.writeFileSync(path.join(bag, `inst-${j}.png`), encodePng({ data: img, height: SIDE, width: SIDE, channels: 1 }));
      }
    }
  }
  return dir;
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

  it('cct trained on grey images (data.channels: 1) predicts from the images read grey, as the run recorded', async () => {
    const root = tempDir('user-grey');
    const { labelled, unlabelled } = writeSegmentationFolders(root, 8, 2);
    const out = path.join(root, 'run');
    const sets = [`data.labelled=${labelled}`, `data.size=${SIDE}`, 'data.channels=1', 'data.devFraction=0.25', ...TINY_RUN];
    await trainCommand('cct-supervised', { set: sets, out, progress: 'none', log: quiet, backend: 'wasm' });
    expect(JSON.parse(fs.readFileSync(path.join(out, 'data', 'labels.json'), 'utf8')).input.channels).toBe(1);
    // An RGB photo and the same photo stored grey must give the same mask: predict reads both as one grey channel
    // (read as RGB, the one-channel network would refuse the three channels).
    const rgb = path.join(unlabelled, 'photo-0.png');
    const img = readImage(rgb, { channels: 1 });
    const grey = path.join(root, 'photo-0-grey.png');
    fs.writeFileSync(grey, encodePng({ data: img.data, height: img.height, width: img.width, channels: 1 }));
    const p = await predictCommand(out, [rgb, grey], { backend: 'wasm', out: path.join(root, 'pred') });
    expect(p.predictions).toHaveLength(2);
    expect(fs.readFileSync(p.predictions[0]!.output!)).toEqual(fs.readFileSync(p.predictions[1]!.output!));
  });

  it('kd trains a teacher and distils it from the user\'s folders (labelled images + masks, raw images as the transfer set), then eval and predict', async () => {
    const root = tempDir('user-kd');
    const { labelled, unlabelled } = writeSegmentationFolders(root, 10, 4);
    const out = path.join(root, 'run');
    const sets = [`data.labelled=${labelled}`, `data.unlabelled=${unlabelled}`, `data.size=${SIDE}`, 'data.devFraction=0.3', 'teacher.steps=2', 'train.batchSize=2', 'train.transferBatchSize=2', 'train.maxSteps=3', 'train.evalEvery=2', 'train.checkpointEvery=2', 'train.logEvery=1'];
    await trainCommand('kd', { set: sets, out, progress: 'none', log: quiet, backend: 'wasm' });
    const summary = readSummary(out);
    expect(summary.steps).toBe(3);
    expect(summary.classNames).toEqual(['0', '1', '2']);
    expect(summary.notes.join(' ')).toMatch(/transfer set: 4 unlabelled images/);
    for (const [k, v] of Object.entries(summary.metrics)) expect(Number.isFinite(v), `${k}=${v}`).toBe(true);
    const ev = await evalCommand(out, { log: quiet, backend: 'wasm' });
    expect(ev.metrics.miou).toBeCloseTo(summary.metrics.miou!, 5);
    const p = await predictCommand(out, [path.join(unlabelled, 'photo-1.png')], { backend: 'wasm' });
    expect(Object.keys(p.predictions[0]!.probabilities!).every((c) => ['0', '1', '2'].includes(c))).toBe(true);
    // A teacher run on other classes is refused, naming the run and both label maps.
    await expect(trainCommand('kd', { set: [...sets, 'teacher.run=' + out, 'data.classes=[a,b,c,d]'], out: path.join(root, 'bad'), progress: 'none', log: quiet, backend: 'wasm' })).rejects.toThrow(/teacher\.run: .* was trained on classes \[0, 1, 2\]/);
  });

  it('arseg clusters a folder of raw grey images, scored on a folder with masks; iic without masks needs data.clusters and keeps the last weights', async () => {
    const root = tempDir('user-arseg');
    const { labelled, unlabelled } = writeSegmentationFolders(root, 4, 6);
    const out = path.join(root, 'run');
    const tiny = [`data.size=${SIDE}`, 'data.channels=1', 'train.steps=3', 'train.batchSize=2', 'train.evalEvery=2', 'train.checkpointEvery=2', 'train.logEvery=1'];
    await trainCommand('arseg', { set: [`data.unlabelled=${unlabelled}`, `data.dev=${labelled}`, ...tiny], out, progress: 'none', log: quiet, backend: 'wasm' });
    const summary = readSummary(out);
    expect(summary.steps).toBe(3);
    // Three clusters: the classes of the dev masks (user data is scored against its classes, not foreground).
    expect(summary.classNames).toEqual(['0', '1', '2']);
    expect(summary.metrics.clustering_accuracy).toBeGreaterThan(0);
    const ev = await evalCommand(out, { log: quiet, backend: 'wasm' });
    expect(ev.metrics.miou).toBeCloseTo(summary.metrics.miou!, 5);
    const p = await predictCommand(out, [path.join(unlabelled, 'photo-0.png')], { backend: 'wasm' });
    expect(fs.existsSync(p.predictions[0]!.output!)).toBe(true);

    const raw = path.join(root, 'iic');
    await expect(trainCommand('iic', { set: [`data.unlabelled=${unlabelled}`, ...tiny], out: path.join(root, 'no-k'), progress: 'none', log: quiet, backend: 'wasm' })).rejects.toThrow(/data\.clusters: /);
    await trainCommand('iic', { set: [`data.unlabelled=${unlabelled}`, 'data.clusters=3', ...tiny], out: raw, progress: 'none', log: quiet, backend: 'wasm' });
    expect(readSummary(raw).bestFrom).toBe('weights at the end of training');
    expect(fs.existsSync(path.join(raw, 'best', 'encoder.safetensors'))).toBe(true);
  });

  it('scl pre-trains on class folders and evaluates few-shot episodes on other class folders; predict classifies queries among a support folder\'s classes', async () => {
    const root = tempDir('user-scl');
    const base = writeClassFolders(path.join(root, 'base'), ['bar', 'column', 'square'], 5, 0);
    const novel = writeClassFolders(path.join(root, 'novel'), ['cross', 'frame', 'dot'], 4, 50);
    const out = path.join(root, 'run');
    const sets = [`data.labelled=${base}`, `data.dev=${novel}`, `data.size=${SIDE}`, 'train.batchSize=4', 'train.maxSteps=3', 'train.evalEvery=2', 'train.checkpointEvery=2', 'train.logEvery=1', 'fewshot.nWay=2', 'fewshot.kShot=1', 'fewshot.nQuery=2', 'fewshot.episodes=3'];
    await trainCommand('scl', { set: sets, out, progress: 'none', log: quiet, backend: 'wasm' });
    const summary = readSummary(out);
    expect(summary.steps).toBe(3);
    expect(summary.fewShot).toMatchObject({ ways: 2, shots: 1, episodes: 3 });
    const ev = await evalCommand(out, { log: quiet, backend: 'wasm' });
    expect(ev.metrics.fewshot_accuracy).toBeCloseTo(summary.metrics.fewshot_accuracy!, 5);
    const query = path.join(novel, 'frame', 'img-0.png');
    const withSupport = await predictCommand(out, [novel, query], { backend: 'wasm' });
    expect(['cross', 'frame', 'dot']).toContain(withSupport.predictions[0]!.label);
    const baseClasses = await predictCommand(out, [query], { backend: 'wasm' });
    expect(Object.keys(baseClasses.predictions[0]!.probabilities!)).toEqual(['bar', 'column', 'square']);
    // Few-shot evaluation needs classes that training did not see.
    await expect(trainCommand('scl', { set: [`data.labelled=${base}`, `data.size=${SIDE}`, 'train.maxSteps=1'], out: path.join(root, 'no-dev'), progress: 'none', log: quiet, backend: 'wasm' })).rejects.toThrow(/data\.dev: few-shot evaluation needs classes that are not in data\.labelled/);
  });

  it('mil-ib trains on bag folders (<label>/<bag>/*.png) and on a CSV of instance features, then eval and predict', async () => {
    const root = tempDir('user-mil');
    const bags = writeBagFolders(path.join(root, 'bags'), 6);
    const out = path.join(root, 'run');
    const tiny = ['data.instance.size=16', 'data.devFraction=0.25', 'mil.hiddenDim=8', 'mil.attentionDim=4', 'mil.numSamples=2', 'mil.topK=4', 'train.maxSteps=3', 'train.evalEvery=2', 'train.checkpointEvery=2', 'train.logEvery=1'];
    await trainCommand('mil-ib', { set: [`data.labelled=${bags}`, ...tiny], out, progress: 'none', log: quiet, backend: 'wasm' });
    const summary = readSummary(out);
    expect(summary.steps).toBe(3);
    expect(summary.classNames).toEqual(['negative', 'positive']);
    expect(Object.keys(summary.metrics).sort()).toEqual(['bag_accuracy', 'bag_auc', 'bag_f1']);
    const split = JSON.parse(fs.readFileSync(path.join(out, 'data', 'split.json'), 'utf8')) as { parts: Record<string, { indices: number[] }[]> };
    expect(split.parts.dev![0]!.indices).toHaveLength(3);
    const ev = await evalCommand(out, { log: quiet, backend: 'wasm' });
    expect(ev.metrics.bag_accuracy).toBeCloseTo(summary.metrics.bag_accuracy!, 5);
    const p = await predictCommand(out, [path.join(bags, 'positive', 'bag-0')], { backend: 'wasm' });
    expect(p.predictions[0]!.instances).toHaveLength(4);
    expect(['negative', 'positive']).toContain(p.predictions[0]!.label);

    // A table of instance features: bag, label, then the features.
    const csv = path.join(root, 'features.csv');
    const rows = ['bag,label,f0,f1,f2'];
    for (let b = 0; b < 10; b++) for (let i = 0; i < 3; i++) rows.push(`slide-${b},${b % 2 ? 'tumour' : 'normal'},${(b % 2) * (i === 0 ? 1 : 0)},${(i * 0.3).toFixed(2)},${((b * 7 + i) % 5) / 5}`);
    fs.writeFileSync(csv, rows.join('\n') + '\n');
    const tab = path.join(root, 'table-run');
    await trainCommand('mil-ib', { set: [`data.labelled=${csv}`, ...tiny], out: tab, progress: 'none', log: quiet, backend: 'wasm' });
    expect(readSummary(tab).classNames).toEqual(['normal', 'tumour']);
    const tp = await predictCommand(tab, [csv], { backend: 'wasm' });
    expect(tp.predictions).toHaveLength(10);
    // A bag whose rows disagree on the label is named with its line.
    fs.writeFileSync(csv, rows.join('\n') + '\nslide-0,tumour,0,0,0\n');
    await expect(trainCommand('mil-ib', { set: [`data.labelled=${csv}`, ...tiny], out: path.join(root, 'bad'), progress: 'none', log: quiet, backend: 'wasm' })).rejects.toThrow(/features\.csv:32: bag "slide-0" has label "tumour" here and "normal" at line 2/);
  });

  it('keys of the former data and training sections say where they live now', async () => {
    const cct = trainCommand('cct', { printConfig: true, set: ['data.scenes=16', 'cct.train.epochs=3'] });
    await expect(cct).rejects.toThrow(/data\.scenes: moved to data\.labelled\.n/);
    await expect(cct).rejects.toThrow(/cct\.train\.epochs: moved to train\.epochs/);
    await expect(trainCommand('peft-lora', { printConfig: true, set: ['data.perClass=4'] })).rejects.toThrow(/data\.perClass: moved to data\.labelled\.perClass/);
    await expect(trainCommand('kd', { printConfig: true, set: ['data.testScenes=8'] })).rejects.toThrow(/data\.testScenes: moved: the test part is data\.testFraction/);
    await expect(trainCommand('arseg', { printConfig: true, set: ['data.valScenes=8'] })).rejects.toThrow(/data\.valScenes: moved to data\.unlabelled\.heldOut/);
    await expect(trainCommand('scl', { printConfig: true, set: ['data.baseClasses=8'] })).rejects.toThrow(/data\.baseClasses: moved to data\.labelled\.classes/);
    await expect(trainCommand('mil-ib', { printConfig: true, set: ['data.trainBags=8', 'data.pool=4'] })).rejects.toThrow(/data\.trainBags: moved to data\.labelled\.n[\s\S]*data\.pool: moved to data\.instance\.pool/);
  });
});
