// @lel/swa: explicit named exports (no `export *`).
export { AveragedModel } from './averagedModel';
export type { AveragedModelOptions } from './averagedModel';
export { swaLrSchedule } from './swaLrSchedule';
export type { SwaLrOptions, SwaLrSchedule, LrScheduleLike } from './swaLrSchedule';
export { averagingPlan, swaAveragingSteps } from './swaStartSchedule';
export type { SwaStartOptions, AveragingPlan } from './swaStartSchedule';
export { updateBn } from './updateBn';
export type { UpdateBnOptions, UpdateBnReport } from './updateBn';
export { SwaCallback } from './callback';
export type { SwaCallbackOptions } from './callback';
export { SwaConfig, swaPresets } from './config';
export type { SwaConfigInput } from './config';
