// @lel/vib — explicit named exports (no `export *`).

// Configs
export { VibConfigSchema, MilIbConfigSchema } from './config';
export type { VibConfig, MilIbConfig } from './config';

// VIBERT
export { VibHead, vibHiddenSizes } from './vib-head';
export type { VibActivation, VibHeadOptions, VibForwardOptions, VibHeadOutput } from './vib-head';
export { gaussianKl, KL_STD_FLOOR } from './gaussian-kl';
export type { GaussianKlResult } from './gaussian-kl';
export { vibLoss, klWeight } from './vib-loss';
export type { KlAnnealing, VibLossInputs, VibLossOptions, VibLossParts } from './vib-loss';
export { VibClassifier, vibBert, bertPooledOutput } from './classifier';
export type { PoolFn } from './classifier';
export { fineTuneText, evaluateText, vibert, vibTextLoss, VibFineTuneConfigSchema } from './train-vib';
export type { TextTask, TextMethod, TextClassifier, FineTuneTextOptions, VibFineTuneConfig, VibFineTuneConfigInput, VibTextData } from './train-vib';

// Bernoulli-mask IB for multiple-instance learning
export { relaxedBernoulliMask, infoLoss, PROB_EPS } from './bernoulli-mask';
export type { RelaxedBernoulliMask, RelaxedBernoulliMaskOptions } from './bernoulli-mask';
export { GatedAttentionPool } from './gated-attention';
export type { GatedAttentionPoolOptions, GatedAttentionOutput } from './gated-attention';
export { BernoulliMaskMil } from './mil-model';
export type { BernoulliMaskMilOptions, MilForwardOptions, MilOutput } from './mil-model';
export { milIbLoss } from './mil-loss';
export type { MilIbLossOptions, MilIbLossParts } from './mil-loss';
export { makeMilBags } from './bags';
export type { MilBag, MakeMilBagsOptions } from './bags';
export { milIb, trainMilIb, evaluateMil, predictBag, bagTensor } from './train-mil';
export type { MilIbData, MilBagPrediction } from './train-mil';
