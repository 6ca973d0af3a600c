import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeImage, writeMask } from '../fixtures/image-files';
import { classFolderSource } from './class-folder-source';
import { imageFolderSource } from './image-folder-source';
import { maskedFolderSource } from './masked-folder-source';
import { vocSource } from './voc-source';

function makeMaskedFolder(): string {
  const root = tempDir('masked');
  writeImage(join(root, 'images', 'a.png'), 4, 6, 0.1);
  writeImage(join(root, 'images', 'sub', 'b.jpg'), 4, 6, 0.9);
  writeMask(join(root, 'masks', 'a.png'), 4, 6, 1);
  writeMask(join(root, 'masks', 'sub', 'b.png'), 4, 6, Array.from({ length: 24 }, (_, i) => (i < 6 ? 255 : 2)));
  return root;
}

describe('maskedFolderSource', () => {
  it('pairs images/ and masks/ by relative path, sorted, and decodes only when read', async () => {
    const root = makeMaskedFolder();
    const s = maskedFolderSource(root, { classNames: ['bg', 'a', 'b'] });
    expect(s.kind).toBe('segmentation');
    expect(s.length).toBe(2);
    expect(s.id(0)).toBe(join(root, 'images', 'a.png'));
    expect(s.id(1)).toBe(join(root, 'images', 'sub', 'b.jpg'));
    const b = await s.read(1, { channels: 1 });
    expect([b.image.height, b.image.width, b.image.channels]).toEqual([4, 6, 1]);
    expect(Array.from(b.mask!.subarray(0, 7))).toEqual([255, 255, 255, 255, 255, 255, 2]);
    expect(Array.from(await s.readMask!(0))).toEqual(new Array(24).fill(1));
  });

  it('names the file for a missing mask, a stray mask, a JPEG mask, an empty folder and a missing folder', () => {
    let root = makeMaskedFolder();
    rmSync(join(root, 'masks', 'a.png'));
    expect(() => maskedFolderSource(root)).toThrow(/masks\/a\.png: missing mask for image .*images\/a\.png/);
    root = makeMaskedFolder();
    writeMask(join(root, 'masks', 'c.png'), 4, 6, 0);
    expect(() => maskedFolderSource(root)).toThrow(/masks\/c\.png: mask without an image/);
    root = makeMaskedFolder();
    writeImage(join(root, 'masks', 'sub', 'b.jpg'), 4, 6);
    expect(() => maskedFolderSource(root)).toThrow(/masks\/sub\/b\.jpg: masks must be PNG files/);
    root = makeMaskedFolder();
    writeImage(join(root, 'images', 'a.jpg'), 4, 6);
    expect(() => maskedFolderSource(root)).toThrow(/images\/a\.png: has the same name as .*images\/a\.jpg|images\/a\.jpg: has the same name as .*images\/a\.png/);
    root = tempDir('empty');
    mkdirSync(join(root, 'images'));
    mkdirSync(join(root, 'masks'));
    expect(() => maskedFolderSource(root)).toThrow(/images: no \.png\/\.jpg images found/);
    expect(() => maskedFolderSource(join(root, 'nope'))).toThrow(/nope\/images: not a directory/);
  });

  it('names the file for a size mismatch, an out-of-range value and an unreadable image when read', async () => {
    const root = makeMaskedFolder();
    writeMask(join(root, 'masks', 'a.png'), 2, 3, 1);
    await expect(maskedFolderSource(root).read(0)).rejects.toThrow(/masks\/a\.png: mask is 2×3 but its image .*images\/a\.png is 4×6/);
    writeMask(join(root, 'masks', 'a.png'), 4, 6, 7);
    await expect(maskedFolderSource(root, { classNames: ['bg', 'a', 'b'] }).read(0)).rejects.toThrow(/masks\/a\.png: label value 7 at \(y=0, x=0\) is out of range \[0, 3\)/);
    await expect(maskedFolderSource(root).read(0)).resolves.toBeDefined(); // no label map: the scan decides
    writeFileSync(join(root, 'images', 'a.png'), 'not an image');
    const listed = maskedFolderSource(root);
    await expect(listed.read(0)).rejects.toThrow(/images\/a\.png: unreadable image/);
    rmSync(join(root, 'images', 'a.png')); // deleted after listing
    await expect(listed.read(0)).rejects.toThrow(/images\/a\.png: cannot read file \(ENOENT\)/);
  });
});

describe('vocSource', () => {
  it('lists a split, decodes RGB images with their masks and checks values against the 21 VOC classes', async () => {
    const root = tempDir('voc');
    writeImage(join(root, 'JPEGImages', 'x1.jpg'), 4, 6);
    writeImage(join(root, 'JPEGImages', 'x2.png'), 4, 6);
    writeMask(join(root, 'SegmentationClass', 'x1.png'), 4, 6, 15);
    writeMask(join(root, 'SegmentationClass', 'x2.png'), 4, 6, 21);
    mkdirSync(join(root, 'ImageSets', 'Segmentation'), { recursive: true });
    writeFileSync(join(root, 'ImageSets', 'Segmentation', 'train.txt'), 'x1\nx2\n');
    writeFileSync(join(root, 'ImageSets', 'Segmentation', 'val.txt'), 'x1\n');
    const s = vocSource(root);
    expect([s.length, s.classNames!.length, s.kind]).toEqual([2, 21, 'segmentation']);
    const x1 = await s.read(0);
    expect([x1.image.channels, x1.mask![0]]).toEqual([3, 15]);
    await expect(s.read(1)).rejects.toThrow(/SegmentationClass\/x2\.png: label value 21 at \(y=0, x=0\) is out of range \[0, 21\)/);
    expect(vocSource(root, { split: 'val' }).length).toBe(1);
    expect(() => vocSource(root, { split: 'test' })).toThrow(/test\.txt: split list not found/);
  });
});

describe('imageFolderSource', () => {
  it('lists unlabelled images recursively (no masks needed) and ignores other files', async () => {
    const root = tempDir('raw');
    writeImage(join(root, 'b.png'), 5, 5);
    writeImage(join(root, 'day2', 'a.jpg'), 8, 3);
    writeFileSync(join(root, 'notes.txt'), 'x');
    writeImage(join(root, '.hidden', 'c.png'), 5, 5);
    const s = imageFolderSource(root);
    expect(s.kind).toBe('unlabelled');
    expect([s.length, s.id(0), s.id(1)]).toEqual([2, join(root, 'b.png'), join(root, 'day2', 'a.jpg')]);
    const a = await s.read(1);
    expect([a.image.height, a.image.width, a.mask, a.label]).toEqual([8, 3, undefined, undefined]);
  });

  it('names an empty folder and a missing one', () => {
    const root = tempDir('raw-empty');
    writeFileSync(join(root, 'notes.txt'), 'x');
    expect(() => imageFolderSource(root)).toThrow(/raw-empty-\w+: no \.png\/\.jpg images found/);
    expect(() => imageFolderSource(join(root, 'missing'))).toThrow(/missing: not a directory/);
  });
});

describe('classFolderSource', () => {
  function makeClasses(): string {
    const root = tempDir('classes');
    writeImage(join(root, 'dog', 'x.png'), 4, 4);
    writeImage(join(root, 'cat', '1.png'), 4, 4);
    writeImage(join(root, 'cat', 'more', '2.jpg'), 4, 4);
    return root;
  }

  it('labels by sorted folder name without decoding, and follows a given label map', async () => {
    const root = makeClasses();
    const s = classFolderSource(root);
    expect(s.classNames).toEqual(['cat', 'dog']);
    expect(Array.from(s.labels!)).toEqual([0, 0, 1]);
    expect((await s.read(2)).label).toBe(1);
    const mapped = classFolderSource(root, { classNames: ['dog', 'bird', 'cat'] });
    expect(Array.from(mapped.labels!)).toEqual([2, 2, 0]);
  });

  it('names a class outside the label map, an empty class folder and a root without classes', () => {
    let root = makeClasses();
    expect(() => classFolderSource(root, { classNames: ['dog'] })).toThrow(/cat: class "cat" is not in the label map \[dog\]/);
    mkdirSync(join(root, 'emu'));
    expect(() => classFolderSource(root)).toThrow(/emu: class "emu" has no \.png\/\.jpg images/);
    root = tempDir('flat');
    writeImage(join(root, 'a.png'), 2, 2);
    expect(() => classFolderSource(root)).toThrow(/no class sub-directories found/);
  });
});
