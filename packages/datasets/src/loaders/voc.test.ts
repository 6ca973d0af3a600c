import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { validateSegmentation } from '../types';
import { encodeJpeg, encodePalettePng, encodePng } from './image';
import { loadVocSegmentation } from './voc';

const H = 4;
const W = 6;

function makeVoc(): string {
  const root = mkdtempSync(join(tmpdir(), 'lel-voc-'));
  for (const d of ['JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation']) mkdirSync(join(root, d), { recursive: true });
  const img = { data: new Float32Array(H * W * 3).fill(0.5), height: H, width: W, channels: 3 };
  writeFileSync(join(root, 'JPEGImages', '2007_000001.jpg'), encodeJpeg(img));
  writeFileSync(join(root, 'JPEGImages', '2007_000002.png'), encodePng(img));
  const m1 = Array.from({ length: H * W }, (_, i) => (i < W ? 255 : i % 3)); // first row ignore
  writeFileSync(join(root, 'SegmentationClass', '2007_000001.png'), encodePalettePng(m1, H, W));
  writeFileSync(join(root, 'SegmentationClass', '2007_000002.png'), encodePalettePng(new Array(H * W).fill(15), H, W));
  writeFileSync(join(root, 'ImageSets/Segmentation', 'train.txt'), '2007_000001\n2007_000002\n\n');
  writeFileSync(join(root, 'ImageSets/Segmentation', 'val.txt'), '2007_000002\n');
  return root;
}

describe('loadVocSegmentation', () => {
  it('loads images (jpg or png) with their palette masks, keeping 255 = ignore', () => {
    const d = loadVocSegmentation(makeVoc());
    expect([d.n, d.height, d.width, d.channels, d.numClasses]).toEqual([2, H, W, 3, 21]);
    expect(Array.from(d.masks.subarray(0, W))).toEqual(new Array(W).fill(255));
    expect(d.masks[W + 1]).toBe((W + 1) % 3);
    expect(d.masks[H * W]).toBe(15);
    expect(d.classNames[15]).toBe('person');
    expect(() => validateSegmentation(d)).not.toThrow();
    expect(loadVocSegmentation(makeVoc(), { split: 'val' }).n).toBe(1);
  });

  it('resizes images bilinearly and masks by nearest neighbour', () => {
    const d = loadVocSegmentation(makeVoc(), { size: { height: 8, width: 12 } });
    expect([d.height, d.width]).toEqual([8, 12]);
    const values = new Set(d.masks);
    for (const v of values) expect([0, 1, 2, 15, 255]).toContain(v);
    expect(Array.from(d.masks.subarray(0, 24))).toEqual(new Array(24).fill(255)); // the ignore row doubles
  });

  it('names the file for a missing mask, an out-of-range label, a size mismatch and a missing image', () => {
    let root = makeVoc();
    rmSync(join(root, 'SegmentationClass', '2007_000002.png'));
    expect(() => loadVocSegmentation(root)).toThrow(/SegmentationClass\/2007_000002\.png: missing mask for image .*2007_000002\.png/);
    root = makeVoc();
    writeFileSync(join(root, 'SegmentationClass', '2007_000002.png'), encodePalettePng(new Array(H * W).fill(21), H, W));
    expect(() => loadVocSegmentation(root)).toThrow(/2007_000002\.png: label value 21 at \(y=0, x=0\) is out of range \[0, 21\) and is not 255/);
    expect(() => loadVocSegmentation(root, { classNames: [...new Array(22).keys()].map(String) })).not.toThrow();
    root = makeVoc();
    writeFileSync(join(root, 'SegmentationClass', '2007_000002.png'), encodePalettePng(new Array(4).fill(1), 2, 2));
    expect(() => loadVocSegmentation(root)).toThrow(/2007_000002\.png: mask is 2×2 but its image .* is 4×6/);
    root = makeVoc();
    writeFileSync(join(root, 'ImageSets/Segmentation', 'train.txt'), '2007_000009\n');
    expect(() => loadVocSegmentation(root)).toThrow(/JPEGImages\/2007_000009\.jpg: missing image for id "2007_000009"/);
    expect(() => loadVocSegmentation(root, { split: 'test' })).toThrow(/test\.txt: split list not found/);
  });

  it('a corrupt (truncated) mask names the file and the defect', () => {
    const root = makeVoc();
    const mask = encodePalettePng(new Array(H * W).fill(15), H, W);
    writeFileSync(join(root, 'SegmentationClass', '2007_000002.png'), mask.subarray(0, mask.length - 12));
    expect(() => loadVocSegmentation(root)).toThrow(/SegmentationClass\/2007_000002\.png: unreadable mask: truncated PNG: the file ends before its IEND chunk$/);
  });

  it('limits reach the images, masks and split list', () => {
    const root = makeVoc();
    expect(() => loadVocSegmentation(root, { limits: { maxImagePixels: H * W - 1 } })).toThrow(/2007_000001\.jpg: a JPEG of 6×4 = 24 pixels exceeds the limit maxImagePixels = 23/);
    expect(() => loadVocSegmentation(root, { limits: { maxFileBytes: 5 } })).toThrow(/train\.txt: file size 25 bytes exceeds the limit maxFileBytes = 5/);
  });
});
