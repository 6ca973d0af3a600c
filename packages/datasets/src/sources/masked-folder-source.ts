import { join } from 'node:path';
import { DatasetError } from '../errors';
import type { ImageSource } from './image-source';
import { isDirectory, listImageFiles } from './list-files';
import { readImageWithMask, readMaskAsync } from './read-files';

/** Options of {@link maskedFolderSource}. */
export interface MaskedFolderOptions {
  /** Folder of images under the root. Default "images". */
  imagesDir?: string;
  /** Folder of masks under the root (PNG, one per image, same relative path and name). Default "masks". */
  masksDir?: string;
  /** Class names; their count bounds the mask values (255 = ignore). Without them a mask scan infers the count. */
  classNames?: readonly string[];
}

const stem = (rel: string) => rel.replace(/\.[^./\\]+$/, '');

/**
 * A segmentation folder as a streaming {@link ImageSource}: `root/images/**\/<name>.png|jpg` with
 * `root/masks/**\/<name>.png` (palette or 8-bit greyscale; class index per pixel, 255 = ignore), paired by relative
 * path without extension. Listing fails naming the file for an image without a mask, a mask without an image, two
 * images with one name, or an empty folder.
 */
export function maskedFolderSource(root: string, options: MaskedFolderOptions = {}): ImageSource {
  const imagesDir = join(root, options.imagesDir ?? 'images');
  const masksDir = join(root, options.masksDir ?? 'masks');
  for (const dir of [imagesDir, masksDir]) if (!isDirectory(dir)) throw new DatasetError(dir, `not a directory (a segmentation folder holds ${options.imagesDir ?? 'images'}/ and ${options.masksDir ?? 'masks'}/)`);
  const images = listImageFiles(imagesDir);
  if (images.length === 0) throw new DatasetError(imagesDir, 'no .png/.jpg images found');
  const masks = new Map<string, string>();
  for (const m of listImageFiles(masksDir)) {
    if (!/\.png$/i.test(m)) throw new DatasetError(join(masksDir, m), 'masks must be PNG files (lossless palette or greyscale); JPEG changes label values');
    masks.set(stem(m), m);
  }
  const seen = new Map<string, string>();
  const samples = images.map((rel) => {
    const key = stem(rel);
    const other = seen.get(key);
    if (other !== undefined) throw new DatasetError(join(imagesDir, rel), `has the same name as ${join(imagesDir, other)}: one mask cannot belong to both`);
    seen.set(key, rel);
    const mask = masks.get(key);
    if (mask === undefined) throw new DatasetError(join(masksDir, `${key}.png`), `missing mask for image ${join(imagesDir, rel)}`);
    masks.delete(key);
    return { image: join(imagesDir, rel), mask: join(masksDir, mask) };
  });
  const orphan = masks.values().next();
  if (!orphan.done) throw new DatasetError(join(masksDir, orphan.value), `mask without an image (expected ${join(imagesDir, stem(orphan.value))}.png or .jpg)`);
  const classNames = options.classNames;
  return {
    kind: 'segmentation',
    description: `segmentation folder ${root}: ${samples.length} images with masks`,
    length: samples.length,
    ...(classNames ? { classNames } : {}),
    id: (i) => samples[i]!.image,
    read: async (i, o = {}) => {
      const s = samples[i];
      if (!s) throw new RangeError(`maskedFolderSource: sample index ${i} is outside [0, ${samples.length})`);
      return await readImageWithMask(s.image, s.mask, { ...(classNames ? { numClasses: classNames.length } : {}), ...o });
    },
    readMask: async (i) => {
      const s = samples[i];
      if (!s) throw new RangeError(`maskedFolderSource: sample index ${i} is outside [0, ${samples.length})`);
      return (await readMaskAsync(s.mask)).data;
    },
  };
}
