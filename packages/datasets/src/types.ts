import { IGNORE_LABEL, type HwcImage } from '@lel/core';
import { DatasetError } from './errors';

export { IGNORE_LABEL };

/** Images with one class label each, stored flat in NHWC order with values in [0, 1]. */
export interface ImageClassificationData {
  /** N·H·W·C floats in [0, 1], NHWC order. */
  images: Float32Array;
  /** N class indices in [0, classNames.length). */
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  classNames: string[];
}

/** Images with a per-pixel class mask; mask value {@link IGNORE_LABEL} marks pixels excluded from the loss. */
export interface SegmentationData {
  /** N·H·W·C floats in [0, 1], NHWC order. */
  images: Float32Array;
  /** N·H·W class indices in [0, numClasses) or {@link IGNORE_LABEL}. */
  masks: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  numClasses: number;
  classNames: string[];
}

/** Sentences (or sentence pairs when `textsB` is present) with one class label each. */
export interface TextClassificationData {
  texts: string[];
  /** Second sentence of each pair (GLUE-style pair tasks); absent for single-sentence tasks. */
  textsB?: string[];
  labels: Int32Array;
  labelNames: string[];
}

/** One decoded image: H·W·C floats in [0, 1], HWC order (`@lel/core`'s `HwcImage`, which augmentations take). */
export type DecodedImage = HwcImage;

/**
 * Checks the invariants of an {@link ImageClassificationData} (array lengths, label range), throwing a
 * {@link DatasetError} naming `source` on the first defect. Returns the data for chaining.
 */
export function validateImageClassification(data: ImageClassificationData, source = 'ImageClassificationData'): ImageClassificationData {
  const { n, height, width, channels } = data;
  if (data.images.length !== n * height * width * channels) {
    throw new DatasetError(source, `images has ${data.images.length} values, expected n·h·w·c = ${n}·${height}·${width}·${channels}`);
  }
  if (data.labels.length !== n) throw new DatasetError(source, `labels has ${data.labels.length} entries, expected ${n}`);
  const k = data.classNames.length;
  for (let i = 0; i < n; i++) {
    const y = data.labels[i]!;
    if (y < 0 || y >= k) throw new DatasetError(source, `label ${y} of sample ${i} is out of range [0, ${k})`);
  }
  return data;
}

/** Checks the invariants of a {@link SegmentationData}; see {@link validateImageClassification}. */
export function validateSegmentation(data: SegmentationData, source = 'SegmentationData'): SegmentationData {
  const { n, height, width, channels, numClasses } = data;
  if (data.images.length !== n * height * width * channels) {
    throw new DatasetError(source, `images has ${data.images.length} values, expected n·h·w·c = ${n}·${height}·${width}·${channels}`);
  }
  if (data.masks.length !== n * height * width) {
    throw new DatasetError(source, `masks has ${data.masks.length} values, expected n·h·w = ${n}·${height}·${width}`);
  }
  if (data.classNames.length !== numClasses) {
    throw new DatasetError(source, `classNames has ${data.classNames.length} names for ${numClasses} classes`);
  }
  for (let i = 0; i < data.masks.length; i++) {
    const v = data.masks[i]!;
    if ((v < 0 || v >= numClasses) && v !== IGNORE_LABEL) {
      const px = i % (height * width);
      throw new DatasetError(source, `mask value ${v} of sample ${Math.floor(i / (height * width))} at (y=${Math.floor(px / width)}, x=${px % width}) is out of range [0, ${numClasses}) and is not ${IGNORE_LABEL} (ignore)`);
    }
  }
  return data;
}

/** Checks the invariants of a {@link TextClassificationData}; see {@link validateImageClassification}. */
export function validateTextClassification(data: TextClassificationData, source = 'TextClassificationData'): TextClassificationData {
  const n = data.texts.length;
  if (data.labels.length !== n) throw new DatasetError(source, `labels has ${data.labels.length} entries for ${n} texts`);
  if (data.textsB && data.textsB.length !== n) throw new DatasetError(source, `textsB has ${data.textsB.length} entries for ${n} texts`);
  const k = data.labelNames.length;
  for (let i = 0; i < n; i++) {
    const y = data.labels[i]!;
    if (y < 0 || y >= k) throw new DatasetError(source, `label ${y} of sample ${i} is out of range [0, ${k})`);
  }
  return data;
}
