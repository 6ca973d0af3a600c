import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '@lel/core';
import { encodeJpeg, encodePalettePng, encodePng } from '@lel/datasets/node';
import { validateWithSchema } from '../config/validate';
import { imageBatches, resolveImageData, type ImageData } from './image-data';
import { ClassImageData, ClusteringData, SegmentationData } from './sections';

const tmp = (p: string) => fs.mkdtempSync(path.join(os.tmpdir(), `lel-data-${p}-`));

function image(file: string, h: number, w: number, value = 0.5): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const data = new Float32Array(h * w * 3).fill(value);
  const img = { data, height: h, width: w, channels: 3 };
  fs.writeFileSync(file, /\.jpe?g$/.test(file) ? encodeJpeg(img) : encodePng(img));
}

function mask(file: string, h: number, w: number, values: (p: number) => number): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, encodePalettePng(Array.from({ length: h * w }, (_, p) => values(p)), h, w));
}

/** A VOC-layout folder: train ids a0…a5, val ids v0, v1; masks hold class i % 3 and a row of 255. */
function voc(): string {
  const root = tmp('voc');
  const ids = { train: ['a0', 'a1', 'a2', 'a3', 'a4', 'a5'], val: ['v0', 'v1'] };
  for (const [split, list] of Object.entries(ids)) {
    list.forEach((id, i) => {
      image(path.join(root, 'JPEGImages', `${id}.jpg`), 12, 16, i / 6);
      mask(path.join(root, 'SegmentationClass', `${id}.png`), 12, 16, (p) => (p < 16 ? 255 : p % 2 ? i % 3 : 0));
    });
    fs.mkdirSync(path.join(root, 'ImageSets', 'Segmentation'), { recursive: true });
    fs.writeFileSync(path.join(root, 'ImageSets', 'Segmentation', `${split}.txt`), `${list.join('\n')}\n`);
  }
  return root;
}

function raw(n: number): string {
  const root = tmp('raw');
  for (let i = 0; i < n; i++) image(path.join(root, i % 2 ? 'b' : 'a', `r${i}.png`), 20, 10);
  return root;
}

async function firstBatch(data: ImageData, role: 'labelled' | 'unlabelled' | 'dev' | 'test', batchSize = 64) {
  for await (const b of imageBatches(data, role, { batchSize })) return b;
  throw new Error('empty');
}

describe('resolveImageData (segmentation)', () => {
  it('trains on a VOC folder plus a raw folder, selects on VOC val, and records the split in the run', async () => {
    const root = voc();
    const rawDir = raw(5);
    const runDir = tmp('run');
    const section = SegmentationData.parse({ labelled: root, unlabelled: rawDir, size: 8 });
    const data = await resolveImageData(section, 'segmentation', { runDir });
    expect(data.classNames.length).toBe(21);
    expect(data.parts.labelled!.indices).toEqual([0, 1, 2, 3, 4, 5]);
    expect(data.parts.unlabelled!.indices.length).toBe(5);
    expect(data.parts.dev!.description).toMatch(/2 of VOC .* \(val\.txt\)/);
    const b = await firstBatch(data, 'labelled');
    expect([b.n, b.height, b.width, b.channels, b.masks!.length]).toEqual([6, 8, 8, 3, 6 * 64]);
    const u = await firstBatch(data, 'unlabelled');
    expect([u.n, u.masks]).toEqual([5, undefined]);
    // The run records the label map and split; a second resolve (resume, eval) reads them back …
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'data', 'labels.json'), 'utf8')).classNames[15]).toBe('person');
    const again = await resolveImageData(section, 'segmentation', { runDir });
    expect(again.parts.unlabelled!.indices.length).toBe(5);
    // … and refuses a source whose files changed since.
    image(path.join(rawDir, 'late.png'), 4, 4);
    await expect(resolveImageData(section, 'segmentation', { runDir })).rejects.toThrow(/the unlabelled data changed since this run started .*: it now has 6 samples \(was 5\)/);
  });

  it('infers classes from the masks of an images/ + masks/ folder and carves stratified dev, test and label budget', async () => {
    const root = tmp('masked');
    for (let i = 0; i < 20; i++) {
      image(path.join(root, 'images', `s${String(i).padStart(2, '0')}.png`), 6, 6);
      mask(path.join(root, 'masks', `s${String(i).padStart(2, '0')}.png`), 6, 6, (p) => (p === 0 ? (i < 4 ? 3 : 1) : 0));
    }
    const section = SegmentationData.parse({ labelled: { source: 'image-mask-folder', path: root, fraction: 0.5 }, devFraction: 0.2, testFraction: 4, size: 6 });
    const data = await resolveImageData(section, 'segmentation');
    expect(data.classNames).toEqual(['0', '1', '2', '3']);
    const [l, u, d, t] = (['labelled', 'unlabelled', 'dev', 'test'] as const).map((r) => data.parts[r]!.indices);
    expect([l!.length, u!.length, d!.length, t!.length]).toEqual([6, 6, 4, 4]);
    expect(new Set([...l!, ...d!, ...t!]).size).toBe(14); // the unlabelled part is the other 6 (a pooled source)
    // The 4 images with the rare class 3 are spread over the parts (stratified on each image's rarest class).
    for (const part of [l!, d!, t!]) expect(part.some((i) => i < 4)).toBe(true);
  });

  it('names the key and what is missing for a folder without masks, a missing path and an unknown kind', async () => {
    const rawDir = raw(2);
    await expect(resolveImageData(SegmentationData.parse({ labelled: rawDir }), 'segmentation')).rejects.toThrow(/data\.labelled: .*raw-\w+ has no masks: labelled segmentation data is a folder with images\/ and masks\//);
    await expect(resolveImageData(SegmentationData.parse({ labelled: path.join(rawDir, 'nope') }), 'segmentation')).rejects.toThrow(/data\.labelled: .*nope does not exist/);
    expect(() => validateWithSchema(SegmentationData, { labelled: { source: 'image-folder', path: rawDir } })).toThrow(/labelled\.source: unknown "image-folder"; allowed values: "voc", "image-mask-folder", "digit-scenes"/);
    const notes = path.join(rawDir, 'notes.txt');
    fs.writeFileSync(notes, 'x');
    await expect(resolveImageData(SegmentationData.parse({ labelled: notes }), 'segmentation')).rejects.toThrow(/data\.labelled: .*notes\.txt is a file of unknown kind/);
  });

  it('checks dev masks against the training label map when streaming, naming the file', async () => {
    const root = voc();
    const dev = tmp('dev');
    image(path.join(dev, 'images', 'd.png'), 12, 16);
    mask(path.join(dev, 'masks', 'd.png'), 12, 16, () => 40);
    const data = await resolveImageData(SegmentationData.parse({ labelled: root, dev, size: 8 }), 'segmentation');
    await expect(firstBatch(data, 'dev')).rejects.toThrow(/masks\/d\.png: label value 40 at \(y=0, x=0\) is out of range \[0, 21\)/);
  });

  it('defaults to the embedded digit scenes with their held-out scenes as dev', async () => {
    const data = await resolveImageData(SegmentationData.parse({ labelled: { source: 'digit-scenes', n: 16, heldOut: 4, fraction: 0.25 } }), 'segmentation');
    expect(data.classNames.length).toBe(11);
    expect([data.parts.labelled!.indices.length, data.parts.unlabelled!.indices.length, data.parts.dev!.indices.length]).toEqual([4, 12, 4]);
    const b = await firstBatch(data, 'labelled');
    expect([b.height, b.width]).toEqual([32, 32]);
  });

  it('digit scenes of a few digits (digits, scale, digitsPerImage): their label map, masks within it, a test count carved off', async () => {
    const spec = { source: 'digit-scenes', n: 24, heldOut: 4, fraction: 0.25, digits: [0, 1, 4, 7], scale: [0.6, 1], digitsPerImage: [1, 2] };
    const data = await resolveImageData(SegmentationData.parse({ labelled: spec, testFraction: 8 }), 'segmentation');
    expect(data.classNames).toEqual(['background', '0', '1', '4', '7']);
    expect([data.parts.labelled!.indices.length, data.parts.unlabelled!.indices.length, data.parts.dev!.indices.length, data.parts.test!.indices.length]).toEqual([4, 12, 4, 8]);
    const b = await firstBatch(data, 'labelled');
    const labels = [...b.masks!];
    expect(Math.max(...labels)).toBeLessThanOrEqual(4);
    // Digits of 0.6–1 of the side cover far more of the scene than the default 0.35–0.7.
    expect(labels.filter((v) => v > 0).length / labels.length).toBeGreaterThan(0.1);
  });
});

describe('resolveImageData (clustering, few-shot)', () => {
  it('clusters a raw folder and scores on a masked dev folder', async () => {
    const rawDir = raw(3);
    const dev = tmp('cdev');
    image(path.join(dev, 'images', 'd.png'), 4, 4);
    mask(path.join(dev, 'masks', 'd.png'), 4, 4, (p) => p % 2);
    const data = await resolveImageData(ClusteringData.parse({ unlabelled: rawDir, dev, size: 4, resize: 'crop' }), 'clustering');
    expect([data.parts.unlabelled!.indices.length, data.parts.dev!.indices.length, data.classNames]).toEqual([3, 1, ['0', '1']]);
    const b = await (async () => { for await (const x of imageBatches(data, 'unlabelled', { batchSize: 3, rng: new Rng(0) })) return x; })();
    expect([b!.height, b!.width]).toEqual([4, 4]);
  });

  it('few-shot: base classes from class folders, novel classes from the dev folder with their own names', async () => {
    const base = tmp('base');
    const novel = tmp('novel');
    for (const c of ['a', 'b', 'c']) for (let i = 0; i < 2; i++) image(path.join(base, c, `${i}.png`), 5, 5);
    for (const c of ['x', 'y']) image(path.join(novel, c, '0.png'), 5, 5);
    const data = await resolveImageData(ClassImageData.parse({ labelled: base, dev: novel, size: 5 }), 'few-shot');
    expect([data.classNames, data.devClassNames]).toEqual([['a', 'b', 'c'], ['x', 'y']]);
    expect((await firstBatch(data, 'dev')).labels).toEqual(Int32Array.from([0, 1]));
    await expect(resolveImageData(ClassImageData.parse({ labelled: base }), 'few-shot')).rejects.toThrow(/data\.dev: few-shot evaluation needs classes that are not in data\.labelled/);
  });
});

describe('embedded glyphs as a few-shot source', () => {
  it('drawings per character and the label budget perClass are separate keys', async () => {
    const section = validateWithSchema(ClassImageData, { labelled: { source: 'glyphs', classes: 3, heldOutClasses: 2, drawings: 6, perClass: 4 }, size: 16 }, 'test') as ClassImageData;
    const data = await resolveImageData(section, 'few-shot');
    // 3 characters × 6 drawings: 4 per class keep their labels, the other 2 per class are unlabelled.
    expect(data.parts.labelled!.indices).toHaveLength(12);
    expect(data.parts.unlabelled!.indices).toHaveLength(6);
    // The held-out characters (the dev part) have all their drawings.
    expect(data.parts.dev!.indices).toHaveLength(12);
    expect(data.devClassNames).toHaveLength(2);
  });
});
