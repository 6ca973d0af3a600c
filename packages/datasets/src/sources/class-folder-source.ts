import { join } from 'node:path';
import { DatasetError } from '../errors';
import type { ImageSource } from './image-source';
import { isDirectory, listDirSorted, listImageFiles } from './list-files';
import { readImageAsync } from './read-files';

/** Options of {@link classFolderSource}. */
export interface ClassFolderOptions {
  /**
   * The label map: class names in label order (e.g. the training set's, for a dev or test folder). Every class
   * sub-folder must be in it; a class of the map may be absent. Default: the sorted sub-folder names.
   */
  classNames?: readonly string[];
}

/**
 * The class-per-folder layout (`root/<class>/**\/*.png|jpg`, torchvision's ImageFolder) as a streaming
 * {@link ImageSource}: labels come from the folder names without decoding anything. Fails naming the folder for a
 * class folder outside the label map, an empty class folder, or a root without class folders.
 */
export function classFolderSource(root: string, options: ClassFolderOptions = {}): ImageSource {
  if (!isDirectory(root)) throw new DatasetError(root, 'not a directory (expected root/<class>/*.png|jpg)');
  const dirs = listDirSorted(root).filter((d) => !d.startsWith('.') && isDirectory(join(root, d)));
  if (dirs.length === 0) throw new DatasetError(root, 'no class sub-directories found (expected root/<class>/*.png|jpg)');
  const classNames = options.classNames ?? dirs;
  const index = new Map(classNames.map((c, i) => [c, i]));
  const files: string[] = [];
  const labels: number[] = [];
  for (const d of dirs) {
    const label = index.get(d);
    if (label === undefined) throw new DatasetError(join(root, d), `class "${d}" is not in the label map [${classNames.join(', ')}]`);
    const inDir = listImageFiles(join(root, d));
    if (inDir.length === 0) throw new DatasetError(join(root, d), `class "${d}" has no .png/.jpg images`);
    for (const rel of inDir) {
      files.push(join(root, d, rel));
      labels.push(label);
    }
  }
  return {
    kind: 'classification',
    description: `class folders ${root}: ${files.length} images in ${dirs.length} classes`,
    length: files.length,
    classNames,
    labels: Int32Array.from(labels),
    id: (i) => files[i]!,
    read: async (i, o = {}) => {
      const f = files[i];
      if (f === undefined) throw new RangeError(`classFolderSource: sample index ${i} is outside [0, ${files.length})`);
      return { image: await readImageAsync(f, o), label: labels[i]! };
    },
  };
}
