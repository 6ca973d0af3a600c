// Barrel of the data-parallel mode: explicit named exports only.
export { DataParallel } from './data-parallel';
export type { DataParallelOptions, ParallelGradients, ParallelStep, ParallelStepOptions } from './data-parallel';
export type { ParallelTask, Shard } from './task';
export type { ReplicaSpec } from './protocol';
