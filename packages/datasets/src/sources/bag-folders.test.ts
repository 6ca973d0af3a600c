import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir, writeImage } from '../fixtures/image-files';
import { listBagFolders } from './bag-folders';

function bags(): string {
  const root = tempDir('bags');
  writeImage(join(root, 'negative', 'b1', 'x.png'), 4, 4);
  writeImage(join(root, 'negative', 'b1', 'y.png'), 4, 4);
  writeImage(join(root, 'positive', 'b2', 'z.jpg'), 4, 4);
  return root;
}

describe('listBagFolders', () => {
  it('lists class folders of bag folders without decoding, labels from the class folder', () => {
    const root = bags();
    const { classNames, bags: list } = listBagFolders(root);
    expect(classNames).toEqual(['negative', 'positive']);
    expect(list.map((b) => [b.label, b.files.length])).toEqual([[0, 2], [1, 1]]);
    expect(list[0]!.dir).toBe(join(root, 'negative', 'b1'));
  });

  it('names a loose image, an empty bag, a class without bags and a class outside the map', () => {
    let root = bags();
    writeImage(join(root, 'positive', 'loose.png'), 4, 4);
    expect(() => listBagFolders(root)).toThrow(/positive\/loose\.png: an image outside any bag/);
    root = bags();
    mkdirSync(join(root, 'positive', 'empty'));
    expect(() => listBagFolders(root)).toThrow(/positive\/empty: bag has no \.png\/\.jpg instances/);
    root = bags();
    mkdirSync(join(root, 'unknown'));
    expect(() => listBagFolders(root)).toThrow(/unknown: class "unknown" has no bag folders/);
    expect(() => listBagFolders(bags(), { classNames: ['negative'] })).toThrow(/positive: class "positive" is not in the label map \[negative\]/);
  });
});
