export { EntropyMinConfigSchema } from './config';
export type { EntropyMinConfig, EntropyMinConfigInput } from './config';
export { EntropyMinClassifier } from './model';
export { entropyMinLoss } from './loss';
export type { EntropyMinLoss } from './loss';
export { entropyMin } from './method';
export type { EntropyMinBatch, EntropyMinData } from './method';
export { trainEntropyMin } from './train';
