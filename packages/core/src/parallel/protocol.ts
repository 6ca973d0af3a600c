// Messages between the data-parallel coordinator and its workers (structured-clone friendly).

/** How a worker builds its replica: `import(module)[exportName](args)` must return a {@link ParallelTask}. */
export interface ReplicaSpec {
  /** Module URL or absolute path of the task factory. */
  module: string;
  /** Name of the exported factory. */
  exportName: string;
  /** Structured-cloneable argument of the factory (e.g. a seed). */
  args?: unknown;
  /** tfjs backend of the workers (default wasm). */
  backend?: 'wasm' | 'cpu';
}

/** Coordinator → worker. */
export type ToWorker =
  | { type: 'init'; spec: ReplicaSpec }
  | { type: 'grad'; id: number; weights: Float32Array[]; start: number; count: number; payload?: unknown }
  | { type: 'close' };

/** Worker → coordinator. */
export type FromWorker =
  | { type: 'ready'; shapes: number[][]; backend: string }
  | { type: 'grad'; id: number; loss: number; grads: Float32Array[]; ms: number }
  | { type: 'error'; message: string };
