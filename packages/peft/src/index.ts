// @lel/peft — explicit named exports (no `export *`).

// Wrapper, adapters, save/load/merge
export { applyPeft, PeftModel, ADAPTER_CONFIG_FILE, ADAPTER_WEIGHTS_FILE } from './peft-model';
export type { AddAdapterOptions, LoadAdapterOptions } from './peft-model';
export { peftConfigSchema, resolvePeftConfig } from './config';
export type { PeftConfig, ResolvedPeftConfig, PeftMethod } from './config';
export { findTargets, matchesTarget, layerIndex, modulesToSaveParameters } from './targets';
export type { TargetModules, TargetSelection } from './targets';
export { replaceModule, getSubmodule, parentOf, ParameterDict } from './module-surgery';
export { isAdapterLayer } from './tuners/adapter-layer';
export type { AdapterLayer } from './tuners/adapter-layer';
export { BaseAdapterLayer } from './tuners/base-adapter-layer';
export { LinearAdapterLayer } from './tuners/linear-adapter-layer';
export type { InjectResult } from './tuners/inject';

// Factorisation (peft LoKr's rule)
export { factorization, lokrLinearShapes, kronaFactorShapes } from './factorization';
export type { LokrShapeOptions } from './factorization';

// BitFit
export { bitFitConfigSchema, BITFIT_BIAS_TERMS, BITFIT_ALWAYS_TRAINABLE } from './tuners/bitfit/config';
export type { BitFitConfig, ResolvedBitFitConfig, BitFitComponent } from './tuners/bitfit/config';
export { normalizeLegacyName, bitfitSubstrings, selectBitfitParameters } from './tuners/bitfit/layer';
export { bitfitTrainableNames, injectBitFit } from './tuners/bitfit/model';

// RelBitFit
export { relBitFitConfigSchema } from './tuners/relbitfit/config';
export type { RelBitFitConfig, ResolvedRelBitFitConfig } from './tuners/relbitfit/config';
export {
  RelBitFitSelfAttention,
  relBitFitLogits,
  relativeBuckets,
  relativeBucketArray,
  relativeKeyTable,
  relativeScalarTable,
  relativeTableShapes,
  numBuckets,
  keyBiasRowShift,
} from './tuners/relbitfit/layer';
export type { RelBitFitLogitsInputs, RelativeTableSpec, RelativeTables, RelBitFitAdapterSpec, SelfAttentionLike } from './tuners/relbitfit/layer';
export { injectRelBitFit } from './tuners/relbitfit/model';

// KronA
export { kronaConfigSchema } from './tuners/krona/config';
export type { KronaConfig, ResolvedKronaConfig } from './tuners/krona/config';
export { KronaLinear, KronaBlock, kron, kronaAdapterForward, kronaDeltaKernel } from './tuners/krona/layer';
export type { KronaAdapterSpec, KronaBlockSpec, FfnOutputLike } from './tuners/krona/layer';
export { injectKrona, resolveKronaShapes, KRONA_BLOCK_DEFAULT_TARGETS } from './tuners/krona/model';

// LoRA
export { loraConfigSchema } from './tuners/lora/config';
export type { LoraConfig, ResolvedLoraConfig } from './tuners/lora/config';
export { LoraLinear, loraDelta, loraScaling } from './tuners/lora/layer';
export type { LoraAdapterSpec } from './tuners/lora/layer';
export { injectLora } from './tuners/lora/model';
export type { LinearLike } from './tuners/linear-base';

// Fine-tuning recipe (BERT sequence classification on @lel/core's fit)
export { fineTuneSequenceClassification, evaluateAccuracy, peftFineTune, PeftFineTuneConfigSchema } from './train';
export type { FineTuneOptions, FineTuneResult, TextExamples, PeftFineTuneConfig, PeftFineTuneConfigInput, PeftFineTuneInfo } from './train';
