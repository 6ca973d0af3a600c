// @lel/datasets/node — the Node-only part of @lel/datasets: files, folders and the embedded data sets read from
// disk (npm data packages, Debian data packages), image decoding/encoding (fast-png, jpeg-js), splits saved as files.
// Everything that works on arrays in memory, and so in a web page, is in the main entry `@lel/datasets`.

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
export { parseCifarBinary, loadCifarBinary, CIFAR10_CLASS_NAMES } from './loaders/cifar';
export type { CifarOptions } from './loaders/cifar';

// Text loaders
export { parseDelimited, loadDelimited, parseRows, labelIndexer } from './loaders/delimited';
export type { DelimitedOptions, LabelIndexerOptions } from './loaders/delimited';
export { parseJsonl, loadJsonl } from './loaders/jsonl';
export type { JsonlOptions } from './loaders/jsonl';

// Splits saved as files
export { saveSplit, loadSplit } from './splits/split-file';

// File-backed image sources
export { vocSource } from './sources/voc-source';
export type { VocSourceOptions } from './sources/voc-source';
export { maskedFolderSource } from './sources/masked-folder-source';
export type { MaskedFolderOptions } from './sources/masked-folder-source';
export { imageFolderSource } from './sources/image-folder-source';
export { classFolderSource } from './sources/class-folder-source';
export type { ClassFolderOptions } from './sources/class-folder-source';
export { IMAGE_FILE, listImageFiles, listDirSorted, isDirectory } from './sources/list-files';
export { readFileAsync, readImageAsync, readMaskAsync, readImageWithMask } from './sources/read-files';
export { listBagFolders } from './sources/bag-folders';
export type { BagFolder } from './sources/bag-folders';

// Embedded default data, read from the npm / Debian data packages
export { makeDigitScenes } from './embedded/make-digit-scenes';
export { loadMnistDigits, loadFashionMnistPool, hasFashionMnist, FASHION_MNIST_DIR, FASHION_MNIST_CLASS_NAMES } from './embedded/mnist-digits';
export { makeGlyphFewShot, glyphClassSplits, listGlyphCharacters } from './embedded/glyphs';
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
export { dataPackageDir, DATA_PACKAGES } from './embedded/package-path';
