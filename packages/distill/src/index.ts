// @lel/distill: explicit named exports (no `export *`).

// Losses (each returns { total, hard, soft, ... })
export { kdLoss } from './kd-loss';
export type { KdInputs, KdOptions, KdLossParts } from './kd-loss';
export { ensembleSoftTargets } from './ensemble';
export { continuationKdLoss } from './continuation-loss';
export type { ContinuationInputs, ContinuationOptions, ContinuationLossParts } from './continuation-loss';
export { annealingKdLoss, annealingKdSchedule } from './annealing';
export type { AnnealingInputs, AnnealingEpoch, AnnealingScheduleOptions } from './annealing';
export { labelSmoothingCrossEntropy } from './label-smoothing';
export { confidencePenaltyLoss, annealedBeta } from './confidence-penalty';
export type { ConfidencePenaltyOptions, ConfidencePenaltyParts, BetaAnnealing } from './confidence-penalty';
export type { DistillLossParts } from './types';
export { UNLABELLED } from './validate';

// Schedules
export { continuationSchedule } from './continuation-schedule';
export type { ContinuationSchedule, ContinuationScheduleOptions } from './continuation-schedule';
export { psiAt } from './psi-schedule';
export type { PsiSchedule } from './psi-schedule';

// Teachers
export { frozenTeacher } from './teacher';
export type { Teacher } from './teacher';
export { CachedLogits, computeTeacherLogits, loadOrComputeTeacherLogits } from './cached-logits';
export type { IndexedBatch } from './cached-logits';
// One stop-gradient for every package: @lel/core's `stopGradient` (PyTorch's `detach()`), re-exported under its former name.
export { stopGradient as detach } from '@lel/core';

// Recipe on the @lel/core runtime
export { distill, distillation, distillationStep, AnnealingStageCallback, DistillConfigSchema } from './recipe';
export type { DistillConfig, DistillConfigInput, DistillData, DistillOptions, DistillStepOptions, DistillStep, DistillBatchAccess } from './recipe';

// Configuration
export {
  DistillMethodConfig,
  NoneConfig,
  KdConfig,
  AnnealingKdConfig,
  ContinuationKdConfig,
  LabelSmoothingConfig,
  ConfidencePenaltyConfig,
  PsiScheduleConfig,
} from './config';
export type { DistillMethodInput } from './config';
