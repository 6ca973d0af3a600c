import { DatasetError } from '../errors';
import { IGNORE_LABEL } from '../types';
import type { ImageSource } from './image-source';

/** What a pass over a segmentation source's masks found. */
export interface MaskScan {
  /** The scanned sample indices, in order. */
  indices: number[];
  /** Highest class index found plus one (255 = ignore excluded); 0 when every pixel is ignored. */
  numClasses: number;
  /** For every scanned sample, the classes present in its mask, ascending. */
  present: number[][];
  /** Images in which each class appears (length `numClasses`). */
  imagesPerClass: number[];
  /** Pixels of each class over all scanned masks (length `numClasses`). */
  pixelsPerClass: number[];
}

/** Options of {@link scanMasks}. */
export interface MaskScanOptions {
  /** Classes of the label map: a value ≥ it (other than 255) fails naming the file. */
  numClasses?: number;
  /** Masks decoded at once (each is freed after it is counted). Default 8. */
  concurrency?: number;
}

/**
 * Decodes every mask of `indices` (all samples by default) once, in bounded memory (`concurrency` masks at a time),
 * to infer the number of classes, validate the values before training starts, and count which classes each image
 * holds (for stratified splits, see {@link rarestClassLabels}). Images are not decoded.
 */
export async function scanMasks(source: ImageSource, indices?: readonly number[], options: MaskScanOptions = {}): Promise<MaskScan> {
  if (source.kind !== 'segmentation' || !source.readMask) throw new Error(`scanMasks: ${source.description} has no masks`);
  const idx = indices ? [...indices] : Array.from({ length: source.length }, (_, i) => i);
  const concurrency = options.concurrency ?? 8;
  const present: number[][] = new Array(idx.length);
  const pixels = new Map<number, number>();
  const images = new Map<number, number>();
  for (let at = 0; at < idx.length; at += concurrency) {
    const chunk = idx.slice(at, at + concurrency);
    const masks = await Promise.all(chunk.map((i) => source.readMask!(i)));
    masks.forEach((mask, k) => {
      const counts = new Map<number, number>();
      for (let p = 0; p < mask.length; p++) {
        const v = mask[p]!;
        if (v === IGNORE_LABEL) continue;
        if (v < 0 || (options.numClasses !== undefined && v >= options.numClasses)) {
          throw new DatasetError(source.id(chunk[k]!), `mask value ${v} is out of range [0, ${options.numClasses ?? IGNORE_LABEL}) and is not ${IGNORE_LABEL} (ignore)`);
        }
        counts.set(v, (counts.get(v) ?? 0) + 1);
      }
      present[at + k] = [...counts.keys()].sort((a, b) => a - b);
      for (const [c, n] of counts) {
        pixels.set(c, (pixels.get(c) ?? 0) + n);
        images.set(c, (images.get(c) ?? 0) + 1);
      }
    });
  }
  const numClasses = Math.max(options.numClasses ?? 0, ...[...pixels.keys()].map((c) => c + 1), 0);
  return {
    indices: idx,
    numClasses,
    present,
    imagesPerClass: Array.from({ length: numClasses }, (_, c) => images.get(c) ?? 0),
    pixelsPerClass: Array.from({ length: numClasses }, (_, c) => pixels.get(c) ?? 0),
  };
}

/**
 * One stratification label per scanned image: the rarest class it contains (fewest images; ties to the lower index),
 * or `numClasses` for a mask that is all ignore. Stratifying on it keeps rare classes in every split, the usual
 * approximation of multi-label stratification for segmentation.
 */
export function rarestClassLabels(scan: MaskScan): Int32Array {
  return Int32Array.from(scan.present, (classes) => {
    let best = scan.numClasses;
    for (const c of classes) if (best === scan.numClasses || scan.imagesPerClass[c]! < scan.imagesPerClass[best]!) best = c;
    return best;
  });
}
