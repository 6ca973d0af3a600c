import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { readAll } from '../tensor-read';
import type { FromWorker, ReplicaSpec, ToWorker } from './protocol';
import { allocateSlots, clearError, weightedAverage } from './shared-slots';

/** Options of {@link DataParallel.create}. */
export interface DataParallelOptions extends ReplicaSpec {
  /** Number of worker threads (default 2: one per core of our machines). */
  workers?: number;
}

/** What one data-parallel gradient computation returns (tensors owned by the caller). */
export interface ParallelGradients {
  /** Shard-size-weighted mean of the shards' losses: the loss of the whole batch. */
  loss: number;
  /** Shard-size-weighted mean of the shards' gradients, in the order of the task's params. */
  grads: tf.Tensor[];
  /** Milliseconds each worker spent (for load-balance diagnostics). */
  workerMs: number[];
}

/** What one in-worker training step ({@link DataParallel.step}) returns. */
export interface ParallelStep {
  /** Shard-size-weighted mean of the shards' losses: the loss of the whole batch. */
  loss: number;
  /** Milliseconds each worker spent (gradients, exchange and update). */
  workerMs: number[];
}

/** Options of {@link DataParallel.step}. */
export interface ParallelStepOptions {
  /** `payload(start, count)` makes the data each worker's task receives for its shard. */
  payload?: (start: number, count: number) => unknown;
  /** Structured-cloneable value handed to every replica's `applyGradients` (e.g. `{ lr }`). */
  update?: unknown;
}

type Reply = Exclude<FromWorker, { type: 'ready' } | { type: 'error' }>;
interface Pending {
  resolve: (m: Reply) => void;
  reject: (e: Error) => void;
}

function workerEntry(): URL {
  // Built package: worker.js sits beside this file. From sources (tests, tsx), a plain-JS bootstrap
  // registers tsx inside the worker first (vitest transforms in-process only; workers are plain Node).
  const js = new URL('./worker.js', import.meta.url);
  return existsSync(fileURLToPath(js)) ? js : new URL('./worker-boot.mjs', import.meta.url);
}

/** Contiguous shards of `batchSize` examples over `n` workers, as even as possible. */
function shardsOf(batchSize: number, n: number): { start: number; count: number }[] {
  return Array.from({ length: n }, (_, i) => {
    const start = Math.floor((i * batchSize) / n);
    return { start, count: Math.floor(((i + 1) * batchSize) / n) - start };
  });
}

/**
 * Opt-in data parallelism on worker_threads: each worker has its own tfjs instance (wasm runs one thread
 * per instance in Node, so this is the only way to use a second core) and a replica of the task built from
 * `import(module)[exportName](args)`. Two ways to train:
 *
 * - {@link DataParallel.step} (fast): every replica keeps its own weights and optimiser. Each step, each
 *   worker computes its shard's gradients into shared memory, waits at a barrier, averages all shards in
 *   a fixed order (the same bits in every worker) and applies the task's `applyGradients`. Only a small
 *   message crosses threads per step; replicas stay identical. Read or load the weights with
 *   {@link DataParallel.getWeights} / {@link DataParallel.setWeights}.
 * - {@link DataParallel.gradients}: sends the caller's weights to every worker and returns the averaged
 *   gradients, for an optimiser on the calling thread (simpler, slower: weights travel every step and
 *   the update runs while the workers wait).
 *
 * Both equal one worker at the combined batch size for mean losses (to float rounding).
 */
export class DataParallel {
  private nextId = 1;
  private readonly pending: Map<number, Pending>[] = [];
  private readonly control: Int32Array;
  private failure: Error | undefined;
  private closed = false;

  private constructor(
    private readonly workers: Worker[],
    /** Parameter shapes reported by the replicas. */
    readonly shapes: number[][],
    /** Whether the task defines `applyGradients` (needed by {@link DataParallel.step}). */
    readonly canStep: boolean,
  ) {
    const total = shapes.reduce((a, s) => a + s.reduce((p, q) => p * q, 1), 0);
    const slots = allocateSlots(workers.length, total);
    this.control = new Int32Array(slots.control);
    this.workers.forEach((w, i) => {
      this.pending[i] = new Map();
      w.postMessage({ type: 'attach', shared: { ...slots, index: i } } satisfies ToWorker);
      w.on('message', (m: FromWorker) => {
        if (m.type === 'ready') return;
        if (m.type === 'error' && m.id === undefined) {
          this.failAll(new Error(`data-parallel worker ${i}: ${m.message}`));
          return;
        }
        const p = this.pending[i]!.get(m.id!);
        this.pending[i]!.delete(m.id!);
        if (m.type === 'error') p?.reject(new Error(`data-parallel worker ${i}: ${m.message}`));
        else p?.resolve(m);
      });
      const lost = (e: Error) => {
        // A dead worker would leave the others waiting at the barrier: stop them all.
        this.failAll(e);
        void Promise.all(this.workers.map((x) => x.terminate()));
      };
      w.on('error', (e) => lost(new Error(`data-parallel worker ${i} crashed: ${e.message}`)));
      w.on('exit', (code) => {
        if (!this.closed && this.failure === undefined && code !== 0) lost(new Error(`data-parallel worker ${i} exited with code ${code}`));
      });
    });
  }

  private failAll(e: Error): void {
    this.failure ??= e;
    for (const m of this.pending) {
      for (const p of m.values()) p.reject(e);
      m.clear();
    }
  }

  /** Send `msg(id)` to worker `i` and wait for its reply. */
  private request<T extends Reply['type']>(i: number, type: T, msg: (id: number) => ToWorker, transfer: ArrayBuffer[] = []): Promise<Extract<Reply, { type: T }>> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending[i]!.set(id, {
        resolve: (m) => (m.type === type ? resolve(m as Extract<Reply, { type: T }>) : reject(new Error(`data-parallel worker ${i}: expected ${type}, got ${m.type}`))),
        reject,
      });
      this.workers[i]!.postMessage(msg(id), transfer);
    });
  }

  /** Start the workers and build every replica. */
  static async create(options: DataParallelOptions): Promise<DataParallel> {
    const n = options.workers ?? 2;
    if (!(n >= 1)) throw new Error('DataParallel: workers must be ≥ 1');
    const url = workerEntry();
    const module = options.module.startsWith('file:') ? options.module : pathToFileURL(options.module).href;
    const spec: ReplicaSpec = { module, exportName: options.exportName, args: options.args, backend: options.backend ?? 'wasm' };
    const workers = Array.from({ length: n }, () => new Worker(url));
    try {
      const ready = await Promise.all(
        workers.map(
          (w) =>
            new Promise<Extract<FromWorker, { type: 'ready' }>>((resolve, reject) => {
              const onMsg = (m: FromWorker) => {
                if (m.type === 'ready') resolve(m);
                else if (m.type === 'error') reject(new Error(m.message));
                w.off('message', onMsg);
              };
              w.on('message', onMsg);
              w.once('error', reject);
              w.postMessage({ type: 'init', spec } satisfies ToWorker);
            }),
        ),
      );
      return new DataParallel(workers, ready[0]!.shapes, ready.every((r) => r.canStep));
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      throw e;
    }
  }

  /** Number of workers. */
  get size(): number {
    return this.workers.length;
  }

  /**
   * Gradients of the batch of `batchSize` examples at the weights `params` (same order as the replicas'
   * params), split into contiguous shards as even as possible. `payload(start, count)`, when given, makes
   * the data each worker's task receives for its shard.
   */
  async gradients(params: tf.Tensor[], batchSize: number, payload?: (start: number, count: number) => unknown): Promise<ParallelGradients> {
    if (params.length !== this.shapes.length) throw new Error(`DataParallel: ${params.length} params given, replicas have ${this.shapes.length}`);
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`DataParallel.gradients: batchSize must be a positive integer, got ${batchSize}`);
    const weights = (await readAll(params)) as Float32Array[];
    const shards = shardsOf(batchSize, Math.min(this.workers.length, batchSize));
    const replies = await Promise.all(
      shards.map((s, i) => this.request(i, 'grad', (id) => ({ type: 'grad', id, weights, start: s.start, count: s.count, payload: payload?.(s.start, s.count) }))),
    );
    // Weighted mean in float64, then float32, in worker order: the same average as DataParallel.step's.
    const shardWeights = shards.map((s) => s.count / batchSize);
    const grads = this.shapes.map((shape, k) => {
      const mean = new Float32Array(shape.reduce((a, b) => a * b, 1));
      weightedAverage(replies.map((r) => r.grads[k]!), shardWeights, mean);
      return tf.tensor(mean, shape);
    });
    const loss = replies.reduce((a, r, i) => a + r.loss * shardWeights[i]!, 0);
    return { loss, grads, workerMs: replies.map((r) => r.ms) };
  }

  /**
   * One training step of `batchSize` examples inside the workers (see the class notes): each replica
   * computes its shard, the gradients are averaged through shared memory and every replica applies the
   * task's `applyGradients(grads, options.update)`. If any shard fails (an exception or a non-finite
   * loss), no replica updates and the promise rejects with that worker's error.
   */
  async step(batchSize: number, options: ParallelStepOptions = {}): Promise<ParallelStep> {
    if (!this.canStep) throw new Error('DataParallel.step: the task has no applyGradients(grads, update); use gradients() or add one to the factory');
    if (!(Number.isInteger(batchSize) && batchSize >= 1)) throw new Error(`DataParallel.step: batchSize must be a positive integer, got ${batchSize}`);
    // Every worker takes part (with an empty shard when the batch is smaller than the pool).
    const shards = shardsOf(batchSize, this.workers.length);
    const shardWeights = shards.map((s) => s.count / batchSize);
    const settled = await Promise.allSettled(
      shards.map((s, i) =>
        this.request(i, 'stepped', (id) => ({ type: 'step', id, start: s.start, count: s.count, shardWeights, payload: s.count > 0 ? options.payload?.(s.start, s.count) : undefined, update: options.update })),
      ),
    );
    // All replies are in: no worker is inside the barrier, so the error flag can be cleared for the next step.
    clearError(this.control);
    const failed = settled.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed.length) {
      // Prefer the worker that failed over those that only skipped because of it.
      const first = failed.find((r) => !String((r.reason as Error).message).includes('skipped: another worker failed')) ?? failed[0]!;
      throw first.reason as Error;
    }
    const replies = settled.map((r) => (r as PromiseFulfilledResult<Extract<Reply, { type: 'stepped' }>>).value);
    const loss = replies.reduce((a, r, i) => a + r.loss * shardWeights[i]!, 0);
    return { loss, workerMs: replies.map((r) => r.ms) };
  }

  /** The weights of replica `worker` (default 0; after {@link DataParallel.step} all replicas are equal). */
  async getWeights(worker = 0): Promise<Float32Array[]> {
    return (await this.request(worker, 'weights', (id) => ({ type: 'getWeights', id }))).weights;
  }

  /** Load the same weights into every replica (e.g. from a checkpoint), in the order of the task's params. */
  async setWeights(weights: Float32Array[]): Promise<void> {
    if (weights.length !== this.shapes.length) throw new Error(`DataParallel.setWeights: ${weights.length} arrays given, replicas have ${this.shapes.length} params`);
    weights.forEach((w, k) => {
      const size = this.shapes[k]!.reduce((a, b) => a * b, 1);
      if (w.length !== size) throw new Error(`DataParallel.setWeights: param ${k} needs ${size} values [${this.shapes[k]}], got ${w.length}`);
    });
    await Promise.all(this.workers.map((_, i) => this.request(i, 'done', (id) => ({ type: 'setWeights', id, weights }))));
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    this.closed = true;
    this.failAll(new Error('DataParallel: closed'));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
