// Property-based tests of the folder loaders (fast-check): random image-folder and VOC trees on disk, some
// files damaged, missing or mis-sized, load consistently or fail with a DatasetError naming a file.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runProperty } from '@lel/core/testing';
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { DatasetError } from '../errors';
import { encodePalettePng, encodePng } from './image';
import { loadImageFolder } from './image-folder';
import { loadVocSegmentation } from './voc';

const base = mkdtempSync(join(tmpdir(), 'lel-folder-prop-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
let runs = 0;

const damageArb = fc.constantFrom('none', 'none', 'none', 'truncate', 'garbage', 'empty');
function damaged(bytes: Uint8Array, how: string): Uint8Array {
  if (how === 'truncate') return bytes.subarray(0, Math.floor(bytes.length / 2));
  if (how === 'garbage') return Uint8Array.from(bytes, (b, i) => (i > 16 ? b ^ 0x5a : b));
  if (how === 'empty') return new Uint8Array(0);
  return bytes;
}

const fileArb = fc.record({ h: fc.integer({ min: 1, max: 4 }), w: fc.integer({ min: 1, max: 4 }), channels: fc.constantFrom<1 | 3>(1, 3), damage: damageArb });
const folderArb = fc.record({
  classes: fc.uniqueArray(fc.stringMatching(/^[a-z]{1,3}$/), { minLength: 1, maxLength: 3 }),
  files: fc.array(fc.array(fileArb, { minLength: 0, maxLength: 3 }), { minLength: 3, maxLength: 3 }),
  resize: fc.boolean(),
});

describe('folder loader properties', () => {
  test('loadImageFolder over random, partly damaged trees is consistent or a DatasetError', async () => {
    await runProperty('image folder trees', (p) =>
      fc.check(
        fc.property(folderArb, ({ classes, files, resize }) => {
          const root = join(base, `f${runs++}`);
          let count = 0;
          classes.forEach((c, i) => {
            mkdirSync(join(root, c), { recursive: true });
            files[i]!.forEach((f, j) => {
              const png = encodePng({ data: new Float32Array(f.h * f.w * f.channels).fill(0.5), height: f.h, width: f.w, channels: f.channels });
              writeFileSync(join(root, c, `${j}.png`), damaged(png, f.damage));
              count++;
            });
          });
          try {
            const d = loadImageFolder(root, resize ? { size: { height: 3, width: 3 }, channels: 3 } : {});
            expect(d.n).toBe(count);
            expect(d.images.length).toBe(d.n * d.height * d.width * d.channels);
            for (const y of d.labels) expect(y >= 0 && y < d.classNames.length).toBe(true);
          } catch (e) {
            if (!(e instanceof DatasetError)) throw e;
            expect(e.message.startsWith(root)).toBe(true);
          }
        }),
        p,
      ),
      40,
    );
  });

  const vocArb = fc.array(
    fc.record({
      h: fc.integer({ min: 1, max: 4 }),
      w: fc.integer({ min: 1, max: 4 }),
      maskSize: fc.constantFrom('same', 'same', 'other'),
      value: fc.constantFrom(0, 5, 20, 255, 21, 254),
      imageDamage: damageArb,
      maskDamage: damageArb,
      missing: fc.constantFrom('none', 'none', 'none', 'image', 'mask'),
    }),
    { minLength: 1, maxLength: 3 },
  );

  test('loadVocSegmentation over random, partly damaged trees is consistent or a DatasetError', async () => {
    await runProperty('voc trees', (p) =>
      fc.check(
        fc.property(vocArb, fc.boolean(), (items, resize) => {
          const root = join(base, `v${runs++}`);
          for (const d of ['JPEGImages', 'SegmentationClass', 'ImageSets/Segmentation']) mkdirSync(join(root, d), { recursive: true });
          items.forEach((it, i) => {
            const img = encodePng({ data: new Float32Array(it.h * it.w * 3).fill(0.25), height: it.h, width: it.w, channels: 3 });
            if (it.missing !== 'image') writeFileSync(join(root, 'JPEGImages', `${i}.png`), damaged(img, it.imageDamage));
            const [mh, mw] = it.maskSize === 'same' ? [it.h, it.w] : [it.h + 1, it.w];
            const mask = encodePalettePng(new Array(mh * mw).fill(it.value), mh, mw);
            if (it.missing !== 'mask') writeFileSync(join(root, 'SegmentationClass', `${i}.png`), damaged(mask, it.maskDamage));
          });
          writeFileSync(join(root, 'ImageSets/Segmentation/train.txt'), items.map((_, i) => `${i}`).join('\n'));
          try {
            const d = loadVocSegmentation(root, resize ? { size: { height: 3, width: 3 } } : {});
            expect(d.n).toBe(items.length);
            expect(d.images.length).toBe(d.n * d.height * d.width * 3);
            expect(d.masks.length).toBe(d.n * d.height * d.width);
            for (const v of d.masks) expect(v === 255 || (v >= 0 && v < d.numClasses)).toBe(true);
          } catch (e) {
            if (!(e instanceof DatasetError)) throw e;
            expect(e.message.startsWith(root)).toBe(true);
          }
        }),
        p,
      ),
      40,
    );
  });
});
