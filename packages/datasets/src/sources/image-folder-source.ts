import { join } from 'node:path';
import { DatasetError } from '../errors';
import type { ImageSource } from './image-source';
import { isDirectory, listImageFiles } from './list-files';
import { readImageAsync } from './read-files';

/**
 * A folder of unlabelled images (`root/**\/*.png|jpg`, sub-folders included, sorted) as a streaming
 * {@link ImageSource}: no masks or labels are needed. Fails naming the folder when it holds no image.
 */
export function imageFolderSource(root: string): ImageSource {
  if (!isDirectory(root)) throw new DatasetError(root, 'not a directory (expected a folder of .png/.jpg images)');
  const files = listImageFiles(root).map((rel) => join(root, rel));
  if (files.length === 0) throw new DatasetError(root, 'no .png/.jpg images found (sub-folders are searched too)');
  return {
    kind: 'unlabelled',
    description: `image folder ${root}: ${files.length} unlabelled images`,
    length: files.length,
    id: (i) => files[i]!,
    read: async (i, o = {}) => {
      const f = files[i];
      if (f === undefined) throw new RangeError(`imageFolderSource: sample index ${i} is outside [0, ${files.length})`);
      return { image: await readImageAsync(f, o) };
    },
  };
}
