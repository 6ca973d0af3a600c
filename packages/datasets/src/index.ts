// @lel/datasets: explicit named exports (no `export *`).

// Core types and validation
export { DatasetError } from './errors';
export { LimitExceededError, DEFAULT_LOADER_LIMITS, resolveLimits } from './limits';
export type { LoaderLimits, LoaderLimitName } from './limits';
export { IGNORE_LABEL, validateImageClassification, validateSegmentation, validateTextClassification } from './types';
export type { ImageClassificationData, SegmentationData, TextClassificationData, DecodedImage } from './types';

// Image loaders
export { parseIdx, readIdx, isGzip, loadIdxImageClassification } from './loaders/idx';
export type { IdxArray, IdxLoadOptions, IdxParseOptions } from './loaders/idx';
export {
  decodeImage, readImage, decodeMaskPng, readMaskPng, sniffImageFormat, encodePng, encodeJpeg, encodePalettePng, vocPalette,
} from './loaders/image';
export type { DecodeOptions, DecodeMaskOptions, DecodedMask } from './loaders/image';
export { loadImageFolder } from './loaders/image-folder';
export type { ImageFolderOptions } from './loaders/image-folder';
export { loadVocSegmentation, readSplitList, vocSamplePaths, VOC_CLASS_NAMES } from './loaders/voc';
export type { VocOptions, VocSamplePaths } from './loaders/voc';
export { checkMaskSize, checkMaskValues } from './loaders/mask-check';
export { parseCifarBinary, loadCifarBinary, CIFAR10_CLASS_NAMES } from './loaders/cifar';
export type { CifarOptions } from './loaders/cifar';

// Text loaders
export { parseDelimited, loadDelimited, parseRows, labelIndexer } from './loaders/delimited';
export type { DelimitedOptions, LabelIndexerOptions } from './loaders/delimited';
export { parseJsonl, loadJsonl } from './loaders/jsonl';
export type { JsonlOptions } from './loaders/jsonl';

// Splits, subsets, episodes, batches
export { labeledUnlabeledSplit, labeledSplitCoveringClasses, saveSplit, loadSplit } from './splits/labeled-split';
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

// Streaming image sources (decoded on demand, bounded memory)
export { segmentationDataSource, classificationDataSource, withChannels } from './sources/image-source';
export type { ImageSource, ImageSourceKind, ImageSample, ReadSampleOptions } from './sources/image-source';
export { vocSource } from './sources/voc-source';
export type { VocSourceOptions } from './sources/voc-source';
export { maskedFolderSource } from './sources/masked-folder-source';
export type { MaskedFolderOptions } from './sources/masked-folder-source';
export { imageFolderSource } from './sources/image-folder-source';
export { classFolderSource } from './sources/class-folder-source';
export type { ClassFolderOptions } from './sources/class-folder-source';
export { IMAGE_FILE, listImageFiles, listDirSorted, isDirectory } from './sources/list-files';
export { readFileAsync, readImageAsync, readMaskAsync, readImageWithMask } from './sources/read-files';
export { fitToSize, resizeImage } from './sources/fit-size';
export type { ResizeMode, CropPlacement } from './sources/fit-size';
export { streamImageBatches, loadImageBatches, streamStats, batchCount } from './sources/image-stream';
export type { ImageBatchArrays, ImageStreamOptions, LoadBatchOptions, StreamStats, SampleAugment } from './sources/image-stream';
export { scanMasks, rarestClassLabels } from './sources/mask-scan';
export { unlabelledPool } from './sources/combine-sources';
export { listBagFolders } from './sources/bag-folders';
export type { BagFolder } from './sources/bag-folders';
export type { SourcePart } from './sources/combine-sources';
export type { MaskScan, MaskScanOptions } from './sources/mask-scan';

// Augmentations: moved to @lel/core (browser-safe, shared with method packages); re-exported here under their
// old names. `resizeBilinear`/`resizeNearest` here are core's `resizeImageBilinear`/`resizeMaskNearest` (plain
// arrays), not core's tensor ops of the same names.
export { resizeImageBilinear as resizeBilinear, resizeMaskNearest as resizeNearest, randomScaleCropFlip, horizontalFlip } from '@lel/core';
export { colorJitter, randomGrayscale, randomResizedCrop } from '@lel/core';
export type { ImageWithMask, ScaleCropFlipOptions, ColorJitterOptions, RandomResizedCropOptions } from '@lel/core';

// Embedded default data
export { makeDigitScenes } from './embedded/digit-scenes';
export type { DigitScenesOptions, DigitScenes } from './embedded/digit-scenes';
export { loadMnistDigits, loadFashionMnistPool, hasFashionMnist, FASHION_MNIST_DIR, FASHION_MNIST_CLASS_NAMES } from './embedded/mnist-digits';
export type { GlyphPool, DigitSplit } from './embedded/mnist-digits';
export { makeGlyphFewShot, glyphClassSplits, listGlyphCharacters, renderDrawing } from './embedded/glyphs';
export type { GlyphFewShotOptions, GlyphClassSplits, GlyphPoolOptions } from './embedded/glyphs';
export {
  loadSentiment, sentimentDomainShift, loadTextCorpus, loadSpam, stripMailHeaders, SENTIMENT_DOMAINS, SPAM_GROUPS,
} from './embedded/text';
export type { SentimentDomain, SentimentDomainShift, CorpusDocument, SpamGroup, SpamOptions } from './embedded/text';
export { detectOptionalSources, NOTO_FONTS_DIR } from './embedded/optional';
export { makeFontGlyphFewShot, notoScriptFonts, listFontCharacters } from './embedded/font-glyphs';
export type { FontGlyphFewShotOptions } from './embedded/font-glyphs';
export { parseTrueType, readTrueType, fillContours } from './embedded/truetype';
export type { TrueTypeFont, Contour } from './embedded/truetype';
export type { OptionalSources } from './embedded/optional';
export { dataPackageDir } from './embedded/package-path';
