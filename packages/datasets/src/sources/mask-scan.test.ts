import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeImage, writeMask } from '../fixtures/image-files';
import { maskedFolderSource } from './masked-folder-source';
import { rarestClassLabels, scanMasks } from './mask-scan';

function folder(masks: number[][]): string {
  const root = tempDir('scan');
  masks.forEach((m, i) => {
    writeImage(join(root, 'images', `${i}.png`), 2, 2);
    writeMask(join(root, 'masks', `${i}.png`), 2, 2, m);
  });
  return root;
}

describe('scanMasks', () => {
  it('infers the class count, counts images and pixels per class, and labels each image by its rarest class', async () => {
    const source = maskedFolderSource(folder([[0, 0, 1, 1], [0, 2, 2, 255], [0, 0, 0, 1], [255, 255, 255, 255]]));
    const scan = await scanMasks(source, undefined, { concurrency: 3 });
    expect(scan.numClasses).toBe(3);
    expect(scan.present).toEqual([[0, 1], [0, 2], [0, 1], []]);
    expect(scan.imagesPerClass).toEqual([3, 2, 1]);
    expect(scan.pixelsPerClass).toEqual([6, 3, 2]);
    expect(Array.from(rarestClassLabels(scan))).toEqual([1, 2, 1, 3]);
    const part = await scanMasks(source, [2, 0]);
    expect([part.indices, part.numClasses]).toEqual([[2, 0], 2]);
  });

  it('names the mask with a value outside the label map', async () => {
    const source = maskedFolderSource(folder([[0, 0, 1, 1], [0, 4, 0, 0]]));
    await expect(scanMasks(source, undefined, { numClasses: 3 })).rejects.toThrow(/images\/1\.png: mask value 4 is out of range \[0, 3\)/);
  });
});
