// Barrel of train (browser-safe; the file-backed parts are exported by ../node.ts): explicit named exports only.
export { fit } from './loop';
export type { FitOptions, FitResult, FitCheckpointOptions, Every } from './loop';
export type { Callback, TrainContext, LossParts, DataSource, TrainData, StepMetrics, LrScheduleLike } from './types';
export { CallbackList } from './callbacks';
export { LineProgress, Throughput, formatProgressLine, formatProgressFields, formatDuration, defaultProgressStream } from './progress';
export type { ProgressMode, ProgressOptions, ProgressState, ProgressStream } from './progress';
export type { MetricsRecord } from './jsonl-logger';
export type { FitStart, LogWindow } from './fit-start';
export type { FitPlan } from './fit-plan';
export type { TrainPosition } from './checkpoint';
export type { BestCheckpointPolicy } from './checkpoint-manager';
export { NonFiniteLossError } from './nan-guard';
export { EarlyStopping } from './early-stopping';
export type { EarlyStoppingOptions } from './early-stopping';
export { validateConfig, ConfigValidationError, hashConfig, canonicalJson } from './config';
export type { ConfigIssue } from './config';
