import { join } from 'node:path';
import { resizeImageBilinear } from '@lel/core';
import { DatasetError } from '../errors';
import { IMAGE_FILE, isDirectory, listDirSorted } from '../sources/list-files';
import type { LoaderLimits } from '../limits';
import type { DecodedImage, ImageClassificationData } from '../types';
import { readImage } from './image';

/** Options for {@link loadImageFolder}. */
export interface ImageFolderOptions {
  /** Resize every image to this size (bilinear); without it all images must share one size. */
  size?: { height: number; width: number };
  /** Convert every image to 1 (grey) or 3 (RGB) channels; without it all images must share one channel count. */
  channels?: 1 | 3;
  /** Class names in label order; by default the sub-directory names, sorted. Listed directories must exist. */
  classNames?: string[];
  /** Limits on every image ({@link LoaderLimits}: `maxImageBytes`, `maxImagePixels`). */
  limits?: LoaderLimits;
}

/**
 * Loads the image-folder classification layout `root/<class>/*.png|jpg` (torchvision `ImageFolder`): one
 * sub-directory per class, labels in sorted directory order. Files are read in sorted order so the sample
 * order is stable across machines.
 */
export function loadImageFolder(root: string, options: ImageFolderOptions = {}): ImageClassificationData {
  const classNames = options.classNames ?? listDirSorted(root).filter((d) => isDirectory(join(root, d)));
  if (classNames.length === 0) throw new DatasetError(root, 'no class sub-directories found (expected root/<class>/*.png|jpg)');
  const decoded: DecodedImage[] = [];
  const labels: number[] = [];
  let shapeFrom = '';
  for (const [label, name] of classNames.entries()) {
    const dir = join(root, name);
    const files = listDirSorted(dir).filter((f) => IMAGE_FILE.test(f));
    if (files.length === 0) throw new DatasetError(dir, `class "${name}" has no .png/.jpg images`);
    for (const f of files) {
      const path = join(dir, f);
      let img = readImage(path, { ...(options.channels ? { channels: options.channels } : {}), ...(options.limits ? { limits: options.limits } : {}) });
      if (options.size) img = resizeImageBilinear(img, options.size.height, options.size.width);
      const first = decoded[0];
      if (first) {
        if (img.height !== first.height || img.width !== first.width) {
          throw new DatasetError(path, `image is ${img.height}×${img.width} but ${shapeFrom} is ${first.height}×${first.width}; pass options.size to resize`);
        }
        if (img.channels !== first.channels) {
          throw new DatasetError(path, `image has ${img.channels} channel(s) but ${shapeFrom} has ${first.channels}; pass options.channels to convert`);
        }
      } else shapeFrom = path;
      decoded.push(img);
      labels.push(label);
    }
  }
  const { height, width, channels } = decoded[0]!;
  const per = height * width * channels;
  const images = new Float32Array(decoded.length * per);
  decoded.forEach((img, i) => images.set(img.data, i * per));
  return { images, labels: Int32Array.from(labels), n: decoded.length, height, width, channels, classNames: [...classNames] };
}
