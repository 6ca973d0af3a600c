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

/**
 * Shared memory of the in-worker mode: one float32 gradient slot per worker (`total` floats each, the
 * params concatenated in order) and an Int32 control block (barrier count, barrier generation, error flag).
 */
export interface SharedSlots {
  index: number;
  workers: number;
  total: number;
  grads: SharedArrayBuffer;
  control: SharedArrayBuffer;
}

/** Coordinator → worker. */
export type ToWorker =
  | { type: 'init'; spec: ReplicaSpec }
  | { type: 'attach'; shared: SharedSlots }
  | { type: 'grad'; id: number; weights: Float32Array[]; start: number; count: number; payload?: unknown }
  | { type: 'step'; id: number; start: number; count: number; shardWeights: number[]; payload?: unknown; update?: unknown }
  | { type: 'getWeights'; id: number }
  | { type: 'setWeights'; id: number; weights: Float32Array[] }
  | { type: 'close' };

/** Worker → coordinator. */
export type FromWorker =
  | { type: 'ready'; shapes: number[][]; backend: string; canStep: boolean }
  | { type: 'grad'; id: number; loss: number; grads: Float32Array[]; ms: number }
  | { type: 'stepped'; id: number; loss: number; ms: number }
  | { type: 'weights'; id: number; weights: Float32Array[] }
  | { type: 'done'; id: number }
  | { type: 'error'; id?: number; message: string };
