// Barrel of optim: explicit named exports only.
export { Optimizer, STEP_KEY } from './optimizer';
export type { NamedParameter, ParamGroup, ParamUpdate } from './optimizer';
export { SGD } from './sgd';
export type { SGDOptions } from './sgd';
export { Adam } from './adam';
export type { AdamOptions } from './adam';
export { AdamW } from './adamw';
export { polyLr, cosineWithWarmup, linearWithWarmup, stepLr, constantLr } from './schedules';
export type { LrSchedule, PolyLrOptions, CosineWithWarmupOptions, LinearWithWarmupOptions, StepLrOptions } from './schedules';
export { clipGradNorm } from './clip-grad-norm';
export type { ClipGradNormResult } from './clip-grad-norm';
export { computeGradients, hasNonFinite } from './gradients';
export { stopGradient } from './stop-gradient';
export type { LossOutput, ComputedGradients } from './gradients';
