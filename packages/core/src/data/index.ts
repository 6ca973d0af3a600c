// Barrel of data: plain-array images, augmentations, index batches and few-shot episodes (browser-safe).
export { IGNORE_LABEL } from './image';
export type { HwcImage } from './image';
export { resizeImageBilinear, resizeMaskNearest } from './resize';
export { randomScaleCropFlip, horizontalFlip } from './geometric';
export type { ImageWithMask, ScaleCropFlipOptions } from './geometric';
export { colorJitter, randomGrayscale, randomResizedCrop } from './photometric';
export type { ColorJitterOptions, RandomResizedCropOptions } from './photometric';
export { batches, indicesByClass } from './batches';
export type { BatchOptions } from './batches';
export { EpisodeSampler } from './episodes';
export type { Episode, EpisodeSamplerOptions } from './episodes';
