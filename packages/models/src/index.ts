// @lel/models — explicit named exports (no `export *`). Browser-safe: no Node built-ins (CI bundles it for the
// browser). Reading and writing model folders, the shipped BERTs and data-parallel pretraining are in `./node`.

// BERT
export { BERT_BASE_UNCASED, bertConfig, bertConfigFromHf, bertConfigToHf } from './bert/config';
export type { BertConfig } from './bert/config';
export { BertModel, BertPooler, extendedAttentionMask, initBertWeights } from './bert/model';
export type { BertInputs, BertModelOutput, BertModelOptions } from './bert/model';
export { BertEmbeddings } from './bert/embeddings';
export { BertSelfAttention, BertSelfOutput, BertAttention } from './bert/attention';
export { BertIntermediate, BertOutput, BertLayer, BertEncoder } from './bert/layer';
export { BertForSequenceClassification } from './bert/sequence-classification';
export type { SequenceClassifierOutput, BertForSequenceClassificationOptions } from './bert/sequence-classification';
export { BertForMaskedLM, BertOnlyMLMHead, BertLMPredictionHead, BertPredictionHeadTransform } from './bert/masked-lm';
export { hfToLelName, loadBertWeights, bertWeightsToHf, hfBackbonePrefix, isBertHeadName } from './bert/checkpoint';
export type { CheckpointTensor, BertLoadReport, LoadBertWeightsOptions, BertToHfOptions } from './bert/checkpoint';
export { childNamed } from './bert/child-named';

// WordPiece tokenizer
export { WordPieceTokenizer, truncatePair } from './tokenizer/wordpiece';
export type { WordPieceConfig, EncodeOptions, Encoding, BatchEncoding, TruncationStrategy, PaddingStrategy } from './tokenizer/wordpiece';
export { bertNormalize, isCjkIdeograph } from './tokenizer/normalizer';
export type { BertNormalizerOptions } from './tokenizer/normalizer';
export { bertPreTokenize, isBertPunctuation } from './tokenizer/pre-tokenizer';
export { parseTokenizerJson } from './tokenizer/tokenizer-json';
export { TokenizerJsonError } from './tokenizer/tokenizer-json-error';
export { compileNormalizer, SUPPORTED_NORMALIZERS } from './tokenizer/normalizer-json';
export type { NormalizeFn } from './tokenizer/normalizer-json';
export { compilePreTokenizer, splitOn, SUPPORTED_PRE_TOKENIZERS } from './tokenizer/pre-tokenizer-json';
export type { PreTokenizeFn, SplitBehavior } from './tokenizer/pre-tokenizer-json';
export { compilePostProcessor, bertTemplate, SUPPORTED_POST_PROCESSORS } from './tokenizer/post-processor';
export type { PostProcessor, TemplatePiece } from './tokenizer/post-processor';
export { splitOnAddedTokens } from './tokenizer/added-tokens';
export type { AddedToken, AddedSplit } from './tokenizer/added-tokens';
export { trainWordPieceVocab } from './tokenizer/train-vocab';
export type { TrainWordPieceOptions } from './tokenizer/train-vocab';

// MLM pretraining
export { pretrainMlm, chunkCorpus, BERT_MINI_CONFIG } from './pretraining/mlm-pretrain';
export { TextFineTuneConfigSchema, encodeTextBatch, logitsOutput, textAccuracy, textClassifierParts, fineTuneClassifier, textPredictor } from './fine-tuning/text-classification';
export type { TextFineTuneConfig, TextFineTuneConfigInput, TextExamples, TextClassificationBatch, TextInputs, TextLogitsFn, TextClassifierData } from './fine-tuning/text-classification';
export type { MlmPretrainOptions, MlmPretrainResult } from './pretraining/mlm-pretrain';
export { maskTokens } from './pretraining/mask-tokens';
export { BertForPreTraining, BertPreTrainingHeads } from './bert/pre-training';
export type { PretrainingLogits } from './bert/pre-training';
export { samplePairs } from './pretraining/sentence-pairs';
export type { PairBatch, PairTokens } from './pretraining/sentence-pairs';
export { makePretrainingBatch, sliceBatch } from './pretraining/pretraining-batch';
export type { PretrainingBatch } from './pretraining/pretraining-batch';
export { pretrainingLoss } from './pretraining/pretraining-loss';
export type { PretrainingLossParts } from './pretraining/pretraining-loss';
export { heldOutPretrainingLoss } from './pretraining/held-out';
export type { MaskTokensOptions, MaskedBatch } from './pretraining/mask-tokens';

// ResNet-12 (SCL)
export { ResNet12, ResNet12Block } from './resnet12/resnet12';
export type { ResNet12Options, ResNet12Output } from './resnet12/resnet12';
export { dropBlock, dropBlockGamma, dropBlockKeepRate } from './resnet12/drop-block';

// Segmentation encoder–decoder (CCT)
export { SegEncoder, SEG_ENCODER_PRESETS, DeepStem, ResStage } from './segmentation/encoder';
export type { SegEncoderOptions, SegEncoderPreset } from './segmentation/encoder';
export { BasicBlock, Bottleneck } from './segmentation/residual-blocks';
export { PyramidPooling, PspStage } from './segmentation/psp';
export { adaptiveAvgPool2d, adaptivePoolMatrix } from './segmentation/adaptive-avg-pool';
export { CctDecoder, PixelShuffleUp, cctUpsample, icnrKernel } from './segmentation/decoder';
export { SegmentationModel } from './segmentation/segmentation-model';
export type { SegmentationModelOptions } from './segmentation/segmentation-model';
