/** One image as plain numbers: H·W·C floats (usually in [0, 1]) in HWC order — what decoders return and augmentations take. */
export interface HwcImage {
  data: Float32Array;
  height: number;
  width: number;
  channels: number;
}

/** Label value that marks a pixel as "ignore" in segmentation masks (the PASCAL VOC convention). */
export const IGNORE_LABEL = 255;
