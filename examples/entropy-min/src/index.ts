export { EntropyMinConfigSchema } from './config';
export type { EntropyMinConfig } from './config';
export { EntropyMinClassifier } from './model';
export { entropyMinLoss } from './loss';
export type { EntropyMinLoss } from './loss';
export { trainEntropyMin } from './train';
export type { EntropyMinData } from './train';
