// Barrel of metrics: explicit named exports only.
export { ConfusionMatrix } from './confusionMatrix';
export type { ConfusionMatrixOptions, LabelInput } from './confusionMatrix';
export { hungarianMatch } from './hungarian';
export type { HungarianMatch } from './hungarian';
export { meanConfidenceInterval } from './confidenceInterval';
export type { MeanConfidenceInterval } from './confidenceInterval';
export { studentTQuantile, regularizedIncompleteBeta, logGamma } from './studentT';
export { accuracy, f1Binary, matthewsCorrcoef, binaryCounts } from './classification';
export type { BinaryCounts } from './classification';
export { pearson, spearman, rankData } from './correlation';
export type { NumericInput } from './values';
