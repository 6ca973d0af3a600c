// @lel/vib — explicit named exports (no `export *`).

// Configs
export { VibConfigSchema, MilIbConfigSchema } from './config';
export type { VibConfig, MilIbConfig } from './config';

// VIBERT
export { VibHead, vibHiddenSizes } from './vibHead';
export type { VibActivation, VibHeadOptions, VibForwardOptions, VibHeadOutput } from './vibHead';
export { gaussianKl, KL_STD_FLOOR } from './gaussianKl';
export type { GaussianKlResult } from './gaussianKl';
export { vibLoss, klWeight } from './vibLoss';
export type { KlAnnealing, VibLossInputs, VibLossOptions, VibLossParts } from './vibLoss';
export { VibClassifier, vibBert, bertPooledOutput } from './classifier';
export type { PoolFn } from './classifier';
export { fineTuneText, evaluateText } from './trainVib';
export type { TextTask, TextMethod, TextClassifier, FineTuneTextOptions } from './trainVib';

// Bernoulli-mask IB for multiple-instance learning
export { relaxedBernoulliMask, infoLoss, PROB_EPS } from './bernoulliMask';
export type { RelaxedBernoulliMask, RelaxedBernoulliMaskOptions } from './bernoulliMask';
export { GatedAttentionPool } from './gatedAttention';
export type { GatedAttentionPoolOptions, GatedAttentionOutput } from './gatedAttention';
export { BernoulliMaskMil } from './milModel';
export type { BernoulliMaskMilOptions, MilForwardOptions, MilOutput } from './milModel';
export { milIbLoss } from './milLoss';
export type { MilIbLossOptions, MilIbLossParts } from './milLoss';
export { makeMilBags } from './bags';
export type { MilBag, MakeMilBagsOptions } from './bags';
export { trainMilIb, evaluateMil } from './trainMil';
