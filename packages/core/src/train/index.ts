// Barrel of train: explicit named exports only.
export { fit } from './loop';
export type { FitOptions, FitResult, FitCheckpointOptions, Every } from './loop';
export type { Callback, TrainContext, LossParts, DataSource, TrainData, StepMetrics, LrScheduleLike } from './types';
export { CallbackList } from './callbacks';
export { ProgressReporter, Throughput, formatProgressLine, formatProgressFields, formatDuration } from './progress';
export type { ProgressMode, ProgressOptions, ProgressState, ProgressStream } from './progress';
export { JsonlLogger, readJsonl } from './jsonl-logger';
export type { MetricsRecord, JsonlLoggerOptions } from './jsonl-logger';
export {
  saveCheckpoint,
  loadCheckpoint,
  readCheckpoint,
  readManifest,
  resolveCheckpoint,
  resolveIntactCheckpoint,
  verifyCheckpoint,
  readPointer,
  checkpointName,
  checkpointsDir,
  compareWithModel,
  CheckpointMismatchError,
  CHECKPOINT_FORMAT,
  CHECKPOINT_FORMAT_VERSION,
  CHECKPOINT_FILES,
} from './checkpoint';
export type {
  CheckpointContents,
  CheckpointManifest,
  CheckpointPointer,
  CheckpointTensors,
  LoadCheckpointOptions,
  LoadedCheckpoint,
  SaveCheckpointOptions,
  TrainPosition,
} from './checkpoint';
export { CheckpointIntegrityError, sha256Hex } from './checkpoint-integrity';
export { makeDirs, describeFsError } from './fs-utils';
export { CheckpointManager } from './checkpoint-manager';
export type { CheckpointManagerOptions, BestCheckpointPolicy } from './checkpoint-manager';
export { NonFiniteLossError } from './nan-guard';
export { EarlyStopping } from './early-stopping';
export type { EarlyStoppingOptions } from './early-stopping';
export { validateConfig, ConfigValidationError, hashConfig, canonicalJson } from './config';
export type { ConfigIssue } from './config';
