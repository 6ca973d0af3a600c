// Barrel of losses: explicit named exports only.
export { crossEntropy } from './cross-entropy';
export type { CrossEntropyOptions } from './cross-entropy';
export { klDivergence } from './kl-divergence';
export type { KlReduction } from './kl-divergence';
export { softmaxMse } from './softmax-mse';
export { entropy } from './entropy';
export type { EntropyResult } from './entropy';
export { mse } from './mse';
export { binaryCrossEntropyWithLogits } from './binary-cross-entropy';
export type { BinaryCrossEntropyOptions } from './binary-cross-entropy';
export type { Reduction } from './reduction';
export { NonFiniteTensorError } from './validate';
