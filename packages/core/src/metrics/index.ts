// Barrel of metrics: explicit named exports only.
export { ConfusionMatrix } from './confusion-matrix';
export type { ConfusionMatrixOptions, LabelInput } from './confusion-matrix';
export { hungarianMatch } from './hungarian';
export type { HungarianMatch } from './hungarian';
export { meanConfidenceInterval } from './confidence-interval';
export type { MeanConfidenceInterval } from './confidence-interval';
export { studentTQuantile, regularizedIncompleteBeta, logGamma } from './student-t';
export { accuracy, f1Binary, matthewsCorrcoef, binaryCounts } from './classification';
export type { BinaryCounts } from './classification';
export { pearson, spearman, rankData } from './correlation';
export type { NumericInput } from './values';
