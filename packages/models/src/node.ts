// @lel/models/node — the Node-only part of @lel/models: model folders on disk (Hugging Face BERT folders, the
// BERTs shipped in this package, tokenizer files) and data-parallel BERT pretraining (worker threads, run folders).
// Everything else, and everything a web page can use, is in the main entry `@lel/models`.
export { readBertCheckpoint, loadBertWeightsFromFile, loadPretrainedBert, saveBertPretrained } from './bert/pretrained';
export type { LoadPretrainedBertOptions, PretrainedBert, SaveBertPretrainedOptions } from './bert/pretrained';
export { pretrainedBertPath, modelsPackageRoot, SHIPPED_BERTS } from './bert/shipped';
export type { ShippedBert } from './bert/shipped';
export { loadWordPieceTokenizer } from './tokenizer/load-tokenizer';
export { pretrainBert } from './pretraining/pretrain-bert';
export type { PretrainBertOptions } from './pretraining/pretrain-bert';
