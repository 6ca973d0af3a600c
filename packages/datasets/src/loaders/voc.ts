import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { resizeImageBilinear, resizeMaskNearest } from '@lel/core';
import { DatasetError } from '../errors';
import { resolveLimits, type LoaderLimits } from '../limits';
import type { SegmentationData } from '../types';
import { readImage, readMaskPng } from './image';
import { checkMaskSize, checkMaskValues } from './mask-check';
import { readTextOrThrow } from './read-file';

/** The 21 PASCAL VOC 2012 class names (background + 20 objects). */
export const VOC_CLASS_NAMES = [
  'background', 'aeroplane', 'bicycle', 'bird', 'boat', 'bottle', 'bus', 'car', 'cat', 'chair', 'cow',
  'diningtable', 'dog', 'horse', 'motorbike', 'person', 'pottedplant', 'sheep', 'sofa', 'train', 'tvmonitor',
];

/** Options for {@link loadVocSegmentation}. */
export interface VocOptions {
  /** Split list name: reads `ImageSets/Segmentation/<split>.txt`. Default "train". */
  split?: string;
  /** Class names; their count is the number of classes (mask values ≥ it, other than 255, are errors). Default VOC's 21. */
  classNames?: string[];
  /** Resize images (bilinear) and masks (nearest) to this size; without it every image must share one size. */
  size?: { height: number; width: number };
  /** Directory of masks under root; default "SegmentationClass" (use "SegmentationClassAug" for the augmented set). */
  maskDir?: string;
  /** Keep only the first `limit` ids of the split. */
  limit?: number;
  /** Limits ({@link LoaderLimits}) on the split list (`maxFileBytes`), images and masks (`maxImageBytes`, `maxImagePixels`). */
  limits?: LoaderLimits;
}

/** Reads a split list (one id per line, blank lines ignored; at most `limits.maxFileBytes`). */
export function readSplitList(path: string, limits: LoaderLimits = {}): string[] {
  if (!existsSync(path)) throw new DatasetError(path, 'split list not found');
  const ids = readTextOrThrow(path, resolveLimits(limits).maxFileBytes).split(/\r?\n/).map((l) => l.trim()).filter((l) => l.length > 0);
  if (ids.length === 0) throw new DatasetError(path, 'split list is empty');
  return ids;
}

/** One sample of a VOC split: its id, image file (`.jpg`, else `.png`) and mask file. */
export interface VocSamplePaths {
  id: string;
  image: string;
  mask: string;
}

/**
 * The image and mask files of the ids of `ImageSets/Segmentation/<split>.txt`, checking that each exists: a missing
 * image or mask fails naming the file.
 */
export function vocSamplePaths(root: string, options: Pick<VocOptions, 'split' | 'maskDir' | 'limit' | 'limits'> = {}): VocSamplePaths[] {
  const split = options.split ?? 'train';
  const maskDir = options.maskDir ?? 'SegmentationClass';
  let ids = readSplitList(join(root, 'ImageSets', 'Segmentation', `${split}.txt`), options.limits);
  if (options.limit !== undefined) ids = ids.slice(0, options.limit);
  return ids.map((id) => {
    const jpg = join(root, 'JPEGImages', `${id}.jpg`);
    const png = join(root, 'JPEGImages', `${id}.png`);
    const image = existsSync(jpg) ? jpg : existsSync(png) ? png : null;
    if (!image) throw new DatasetError(jpg, `missing image for id "${id}" listed in ${split}.txt`);
    const mask = join(root, maskDir, `${id}.png`);
    if (!existsSync(mask)) throw new DatasetError(mask, `missing mask for image ${image}`);
    return { id, image, mask };
  });
}

/**
 * Loads a PASCAL-VOC-style segmentation dataset: `JPEGImages/<id>.jpg` (or `.png`), palette masks
 * `SegmentationClass/<id>.png` (255 = ignore), ids from `ImageSets/Segmentation/<split>.txt`.
 * Images are RGB. Fails naming the file on a missing image or mask, a size mismatch, or a mask value out of range.
 */
export function loadVocSegmentation(root: string, options: VocOptions = {}): SegmentationData {
  const classNames = options.classNames ?? VOC_CLASS_NAMES;
  const numClasses = classNames.length;
  const images: Float32Array[] = [];
  const masks: Int32Array[] = [];
  let height = 0;
  let width = 0;
  let firstPath = '';
  const limits = options.limits ?? {};
  for (const { image: imagePath, mask: maskPath } of vocSamplePaths(root, options)) {
    let img = readImage(imagePath, { channels: 3, limits });
    const m = readMaskPng(maskPath, { limits });
    checkMaskSize(m, img, maskPath, imagePath);
    checkMaskValues(m.data, m.width, numClasses, maskPath);
    let mask = m.data;
    if (options.size) {
      img = resizeImageBilinear(img, options.size.height, options.size.width);
      mask = resizeMaskNearest(mask, m.height, m.width, options.size.height, options.size.width);
    }
    if (images.length === 0) {
      height = img.height;
      width = img.width;
      firstPath = imagePath;
    } else if (img.height !== height || img.width !== width) {
      throw new DatasetError(imagePath, `image is ${img.height}×${img.width} but ${firstPath} is ${height}×${width}; pass options.size to resize`);
    }
    images.push(img.data);
    masks.push(mask);
  }
  const n = images.length;
  const outImages = new Float32Array(n * height * width * 3);
  const outMasks = new Int32Array(n * height * width);
  images.forEach((d, i) => outImages.set(d, i * height * width * 3));
  masks.forEach((d, i) => outMasks.set(d, i * height * width));
  return { images: outImages, masks: outMasks, n, height, width, channels: 3, numClasses, classNames: [...classNames] };
}
