// @lel/datasets: explicit named exports (no `export *`). Browser-safe: no Node built-ins and none of the
// embedded-data npm packages (CI bundles it for the browser). Loading files, folders and the embedded data sets
// from disk, and image encoding/decoding, are in `./node` (`@lel/datasets/node`).

// Core types and validation
export { DatasetError } from './errors';
export { LimitExceededError, DEFAULT_LOADER_LIMITS, resolveLimits } from './limits';
export type { LoaderLimits, LoaderLimitName } from './limits';
export { IGNORE_LABEL, validateImageClassification, validateSegmentation, validateTextClassification } from './types';
export type { ImageClassificationData, SegmentationData, TextClassificationData, DecodedImage } from './types';
export { checkMaskSize, checkMaskValues } from './loaders/mask-check';

// Splits, subsets, episodes, batches
export { labeledUnlabeledSplit, labeledSplitCoveringClasses } from './splits/labeled-split';
export type { LabeledSplit, LabeledSplitOptions, CoveringSplitOptions } from './splits/labeled-split';
export { fewSampleSubset } from './splits/few-sample';
export type { FewSampleOptions } from './splits/few-sample';
export { holdoutSplit, partSize } from './splits/holdout';
export type { HoldoutOptions, HoldoutSplit } from './splits/holdout';
export { labelledSubset } from './splits/labelled-subset';
export type { LabelBudget } from './splits/labelled-subset';
export { toImageBatch, toSegmentationBatch } from './batches';
// Moved to @lel/core (browser-safe, shared with method packages); re-exported here unchanged.
export { batches, EpisodeSampler } from '@lel/core';
export type { BatchOptions, Episode, EpisodeSamplerOptions } from '@lel/core';

// Streaming image sources (decoded on demand, bounded memory); the file-backed sources are in ./node
export { segmentationDataSource, classificationDataSource, withChannels } from './sources/image-source';
export type { ImageSource, ImageSourceKind, ImageSample, ReadSampleOptions } from './sources/image-source';
export { fitToSize, resizeImage } from './sources/fit-size';
export type { ResizeMode, CropPlacement } from './sources/fit-size';
export { streamImageBatches, loadImageBatches, streamStats, batchCount } from './sources/image-stream';
export type { ImageBatchArrays, ImageStreamOptions, LoadBatchOptions, StreamStats, SampleAugment } from './sources/image-stream';
export { scanMasks, rarestClassLabels } from './sources/mask-scan';
export { unlabelledPool } from './sources/combine-sources';
export type { SourcePart } from './sources/combine-sources';
export type { MaskScan, MaskScanOptions } from './sources/mask-scan';

// Augmentations: moved to @lel/core (browser-safe, shared with method packages); re-exported here under their
// old names. `resizeBilinear`/`resizeNearest` here are core's `resizeImageBilinear`/`resizeMaskNearest` (plain
// arrays), not core's tensor ops of the same names.
export { resizeImageBilinear as resizeBilinear, resizeMaskNearest as resizeNearest, randomScaleCropFlip, horizontalFlip } from '@lel/core';
export { colorJitter, randomGrayscale, randomResizedCrop } from '@lel/core';
export type { ImageWithMask, ScaleCropFlipOptions, ColorJitterOptions, RandomResizedCropOptions } from '@lel/core';

// Embedded data built from in-memory sources (a page ships its own glyphs); the loaders from disk are in ./node
export { composeDigitScenes } from './embedded/digit-scenes';
export type { DigitScenesOptions, DigitScenes } from './embedded/digit-scenes';
export type { GlyphPool, DigitSplit } from './embedded/mnist-digits';
export { renderDrawing } from './embedded/render-drawing';
