// @lel/swa: explicit named exports (no `export *`).
export { AveragedModel } from './averaged-model';
export type { AveragedModelOptions } from './averaged-model';
export { swaLrSchedule } from './swa-lr-schedule';
export type { SwaLrOptions, SwaLrSchedule, LrScheduleLike } from './swa-lr-schedule';
export { averagingPlan, swaAveragingSteps } from './swa-start-schedule';
export type { SwaStartOptions, AveragingPlan } from './swa-start-schedule';
export { updateBn } from './update-bn';
export type { UpdateBnOptions, UpdateBnReport } from './update-bn';
export { SwaCallback } from './callback';
export type { SwaCallbackOptions } from './callback';
export { SwaConfig, swaPresets } from './config';
export type { SwaConfigInput } from './config';
