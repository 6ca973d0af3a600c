import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodeJpeg, encodePng } from './image';
import { loadImageFolder } from './image-folder';

function solid(h: number, w: number, rgb: [number, number, number]) {
  const data = new Float32Array(h * w * 3);
  for (let p = 0; p < h * w; p++) data.set(rgb, 3 * p);
  return { data, height: h, width: w, channels: 3 };
}

function makeFolder(): string {
  const root = mkdtempSync(join(tmpdir(), 'lel-folder-'));
  mkdirSync(join(root, 'cat'));
  mkdirSync(join(root, 'dog'));
  writeFileSync(join(root, 'cat', 'b.png'), encodePng(solid(4, 6, [1, 0, 0])));
  writeFileSync(join(root, 'cat', 'a.jpg'), encodeJpeg(solid(4, 6, [0, 0, 1]), 95));
  writeFileSync(join(root, 'cat', 'notes.txt'), 'ignored');
  writeFileSync(join(root, 'dog', 'c.png'), encodePng(solid(4, 6, [0, 1, 0])));
  return root;
}

describe('loadImageFolder', () => {
  it('labels by sorted class directory and reads files in sorted order', () => {
    const d = loadImageFolder(makeFolder());
    expect(d.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(d.labels)).toEqual([0, 0, 1]);
    expect([d.n, d.height, d.width, d.channels]).toEqual([3, 4, 6, 3]);
    const px = (i: number) => Array.from(d.images.subarray(i * 72, i * 72 + 3)).map((v) => Math.round(v * 10) / 10);
    expect(px(0)).toEqual([0, 0, 1]); // a.jpg
    expect(px(1)).toEqual([1, 0, 0]); // b.png
    expect(px(2)).toEqual([0, 1, 0]);
  });

  it('resizes and converts channels on request', () => {
    const root = makeFolder();
    writeFileSync(join(root, 'dog', 'd.png'), encodePng(solid(8, 8, [0.2, 0.2, 0.2])));
    expect(() => loadImageFolder(root)).toThrow(/dog\/d\.png: image is 8×8 but .*cat\/a\.jpg is 4×6; pass options\.size/);
    const d = loadImageFolder(root, { size: { height: 5, width: 5 }, channels: 1 });
    expect([d.n, d.height, d.width, d.channels]).toEqual([4, 5, 5, 1]);
    expect(d.images[3 * 25]).toBeCloseTo(0.2, 2);
  });

  it('fails on an empty class, a corrupt image and a missing root', () => {
    const root = makeFolder();
    mkdirSync(join(root, 'eel'));
    expect(() => loadImageFolder(root)).toThrow(/eel: class "eel" has no \.png\/\.jpg images/);
    const root2 = makeFolder();
    writeFileSync(join(root2, 'dog', 'broken.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0]));
    expect(() => loadImageFolder(root2)).toThrow(/dog\/broken\.png: unreadable image/);
    expect(() => loadImageFolder(join(root2, 'nope'))).toThrow(/nope: cannot list directory \(ENOENT\)/);
  });
});
