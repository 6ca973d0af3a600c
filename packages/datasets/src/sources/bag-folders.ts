import { join } from 'node:path';
import { DatasetError } from '../errors';
import { IMAGE_FILE, isDirectory, listDirSorted, listImageFiles } from './list-files';

/** One bag of a multiple-instance data set: its folder, its label and its instances' image files (sorted). */
export interface BagFolder {
  dir: string;
  label: number;
  files: string[];
}

/**
 * Lists the multiple-instance layout `root/<class>/<bag>/**\/*.png|jpg`: one folder per class (the bag label), one
 * sub-folder per bag, its images the instances (only the bag label is known). Nothing is decoded. Fails naming the
 * folder for a class outside the label map, a class without bags, images lying in a class folder outside any bag, or
 * an empty bag.
 */
export function listBagFolders(root: string, options: { classNames?: readonly string[] } = {}): { classNames: string[]; bags: BagFolder[] } {
  if (!isDirectory(root)) throw new DatasetError(root, 'not a directory (expected root/<class>/<bag>/*.png|jpg)');
  const dirs = listDirSorted(root).filter((d) => !d.startsWith('.') && isDirectory(join(root, d)));
  if (dirs.length === 0) throw new DatasetError(root, 'no class sub-directories found (expected root/<class>/<bag>/*.png|jpg)');
  const classNames = [...(options.classNames ?? dirs)];
  const index = new Map(classNames.map((c, i) => [c, i]));
  const bags: BagFolder[] = [];
  for (const d of dirs) {
    const label = index.get(d);
    const classDir = join(root, d);
    if (label === undefined) throw new DatasetError(classDir, `class "${d}" is not in the label map [${classNames.join(', ')}]`);
    const entries = listDirSorted(classDir).filter((e) => !e.startsWith('.'));
    const loose = entries.find((e) => IMAGE_FILE.test(e) && !isDirectory(join(classDir, e)));
    if (loose) throw new DatasetError(join(classDir, loose), `an image outside any bag: instances go in a bag folder, ${classDir}/<bag>/${loose}`);
    const bagDirs = entries.filter((e) => isDirectory(join(classDir, e)));
    if (bagDirs.length === 0) throw new DatasetError(classDir, `class "${d}" has no bag folders`);
    for (const b of bagDirs) {
      const dir = join(classDir, b);
      const files = listImageFiles(dir).map((f) => join(dir, f));
      if (files.length === 0) throw new DatasetError(dir, 'bag has no .png/.jpg instances');
      bags.push({ dir, label, files });
    }
  }
  return { classNames, bags };
}
