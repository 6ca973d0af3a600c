// @lel/core/node — the Node-only part of @lel/core: files and run folders (safetensors files, atomic writes,
// checkpoints on disk, the metrics log, TensorBoard event files), the terminal progress bar and DataParallel
// (worker threads). Importing it installs Node's host (the file system for `fit`'s run folders and resume, and for
// the packages' save/load functions); in Node, `@lel/core` itself
// imports it (the `node` export condition), so this entry is for its named exports. Browser code never imports it.
import { setNodeHost } from './host';
import { nodeHostImpl } from './node-host';

setNodeHost(nodeHostImpl);

// Files
export { readSafetensorsFile, writeSafetensorsFile } from './io/safetensors-file';
export { writeFileAtomic, writeFileAtomicSync } from './io/atomic-write';

// Run folders: the metrics log, checkpoints, the terminal progress bar, Node's host for fit
export { ProgressReporter } from './train/progress-reporter';
export { JsonlLogger, readJsonl } from './train/jsonl-logger';
export type { JsonlLoggerOptions } from './train/jsonl-logger';
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
} from './train/checkpoint';
export type {
  CheckpointContents,
  CheckpointManifest,
  CheckpointPointer,
  CheckpointTensors,
  LoadCheckpointOptions,
  LoadedCheckpoint,
  SaveCheckpointOptions,
  TrainPosition,
} from './train/checkpoint';
export { CheckpointIntegrityError, sha256Hex } from './train/checkpoint-integrity';
export { makeDirs, describeFsError, readJsonFile } from './train/fs-utils';
export { CheckpointManager } from './train/checkpoint-manager';
export type { CheckpointManagerOptions, BestCheckpointPolicy } from './train/checkpoint-manager';

// TensorBoard event files
export { TensorBoardWriter } from './tensorboard/writer';
export type { TensorBoardWriterOptions } from './tensorboard/writer';
export { readEventFile, eventFiles, readTensorBoardScalars } from './tensorboard/reader';
export { tensorBoardLogger } from './tensorboard/callback';
export type { TensorBoardLoggerOptions, TensorBoardLoggerCallback } from './tensorboard/callback';

// Data-parallel training on worker threads
export { DataParallel } from './parallel/data-parallel';
export type { DataParallelOptions, ParallelGradients, ParallelStep, ParallelStepOptions } from './parallel/data-parallel';
export type { ParallelTask, Shard } from './parallel/task';
export type { ReplicaSpec } from './parallel/protocol';
