// @lel/distill: explicit named exports (no `export *`).

// Losses (each returns { total, hard, soft, ... })
export { kdLoss } from './kdLoss';
export type { KdInputs, KdOptions, KdLossParts } from './kdLoss';
export { ensembleSoftTargets } from './ensemble';
export { continuationKdLoss } from './continuationLoss';
export type { ContinuationInputs, ContinuationOptions, ContinuationLossParts } from './continuationLoss';
export { annealingKdLoss, annealingKdSchedule } from './annealing';
export type { AnnealingInputs, AnnealingEpoch, AnnealingScheduleOptions } from './annealing';
export { labelSmoothingCrossEntropy } from './labelSmoothing';
export { confidencePenaltyLoss, annealedBeta } from './confidencePenalty';
export type { ConfidencePenaltyOptions, ConfidencePenaltyParts, BetaAnnealing } from './confidencePenalty';
export type { DistillLossParts } from './types';

// Schedules
export { continuationSchedule } from './continuationSchedule';
export type { ContinuationSchedule, ContinuationScheduleOptions } from './continuationSchedule';
export { psiAt } from './psiSchedule';
export type { PsiSchedule } from './psiSchedule';

// Teachers
export { frozenTeacher } from './teacher';
export type { Teacher } from './teacher';
export { CachedLogits, computeTeacherLogits, loadOrComputeTeacherLogits } from './cachedLogits';
export type { IndexedBatch } from './cachedLogits';
export { detach } from './detach';

// Recipe on the @lel/core runtime
export { distill, distillationStep, AnnealingStageCallback } from './recipe';
export type { DistillOptions, DistillStepOptions, DistillStep, DistillBatchAccess } from './recipe';

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
