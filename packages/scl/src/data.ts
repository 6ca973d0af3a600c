/**
 * The fields of a labelled image set this package reads — `@lel/datasets`' `ImageClassificationData` fits
 * (structural, so @lel/scl does not depend on @lel/datasets).
 */
export interface ImageClassificationArrays {
  /** N·H·W·C floats in [0, 1], NHWC order. */
  images: Float32Array;
  /** N class indices. */
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: number;
  /** Class names in label order: their count is the number of classes. */
  classNames: string[];
}
