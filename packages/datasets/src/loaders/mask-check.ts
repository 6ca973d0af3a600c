import { DatasetError } from '../errors';
import { IGNORE_LABEL } from '../types';

/**
 * Checks that every value of a decoded label mask is a class index below `numClasses` or {@link IGNORE_LABEL},
 * throwing a {@link DatasetError} naming `file` and the first bad pixel otherwise.
 */
export function checkMaskValues(mask: Int32Array, width: number, numClasses: number, file: string): void {
  for (let p = 0; p < mask.length; p++) {
    const v = mask[p]!;
    if ((v < 0 || v >= numClasses) && v !== IGNORE_LABEL) {
      throw new DatasetError(file, `label value ${v} at (y=${Math.floor(p / width)}, x=${p % width}) is out of range [0, ${numClasses}) and is not ${IGNORE_LABEL} (ignore)`);
    }
  }
}

/** Checks that a mask has its image's size, throwing a {@link DatasetError} naming the mask file otherwise. */
export function checkMaskSize(mask: { height: number; width: number }, image: { height: number; width: number }, maskFile: string, imageFile: string): void {
  if (mask.height !== image.height || mask.width !== image.width) {
    throw new DatasetError(maskFile, `mask is ${mask.height}×${mask.width} but its image ${imageFile} is ${image.height}×${image.width}`);
  }
}
