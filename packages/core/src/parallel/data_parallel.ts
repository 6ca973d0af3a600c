import { existsSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import type { FromWorker, ReplicaSpec, ToWorker } from './protocol';

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

interface Pending {
  resolve: (m: Extract<FromWorker, { type: 'grad' }>) => void;
  reject: (e: Error) => void;
}

function workerEntry(): URL {
  // Built package: worker.js sits beside this file. From sources (tests, tsx), a plain-JS bootstrap
  // registers tsx inside the worker first (vitest transforms in-process only; workers are plain Node).
  const js = new URL('./worker.js', import.meta.url);
  return existsSync(fileURLToPath(js)) ? js : new URL('./worker_boot.mjs', import.meta.url);
}

/**
 * Opt-in data parallelism on worker_threads: each worker has its own tfjs instance (wasm runs one thread
 * per instance in Node, so this is the only way to use a second core) and a replica of the task built from
 * `import(module)[exportName](args)`. {@link DataParallel.gradients} sends the current weights and one
 * contiguous shard of the batch to each worker and averages the returned gradients weighted by shard size,
 * which equals the full-batch gradient for mean losses (to float rounding). The caller applies its optimiser
 * on the main thread, so training is identical to one worker at the combined batch size.
 */
export class DataParallel {
  private nextId = 1;
  private readonly pending: Map<number, Pending>[] = [];

  private constructor(
    private readonly workers: Worker[],
    /** Parameter shapes reported by the replicas. */
    readonly shapes: number[][],
  ) {
    this.workers.forEach((w, i) => {
      this.pending[i] = new Map();
      w.on('message', (m: FromWorker) => {
        if (m.type === 'grad') {
          const p = this.pending[i]!.get(m.id);
          this.pending[i]!.delete(m.id);
          p?.resolve(m);
        } else if (m.type === 'error') {
          for (const p of this.pending[i]!.values()) p.reject(new Error(`data-parallel worker ${i}: ${m.message}`));
          this.pending[i]!.clear();
        }
      });
      w.on('error', (e) => {
        for (const p of this.pending[i]!.values()) p.reject(e);
        this.pending[i]!.clear();
      });
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
      return new DataParallel(workers, ready[0]!.shapes);
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
    const weights = params.map((p) => p.dataSync() as Float32Array);
    const n = Math.min(this.workers.length, batchSize);
    const shards = Array.from({ length: n }, (_, i) => {
      const start = Math.floor((i * batchSize) / n);
      return { start, count: Math.floor(((i + 1) * batchSize) / n) - start };
    });
    const id = this.nextId++;
    const replies = await Promise.all(
      shards.map(
        (s, i) =>
          new Promise<Extract<FromWorker, { type: 'grad' }>>((resolve, reject) => {
            this.pending[i]!.set(id, { resolve, reject });
            const msg: ToWorker = { type: 'grad', id, weights, start: s.start, count: s.count, payload: payload?.(s.start, s.count) };
            this.workers[i]!.postMessage(msg);
          }),
      ),
    );
    // Weighted mean in float64, then float32 (the order of summation is fixed: worker 0, 1, …).
    const grads = this.shapes.map((shape, k) => {
      const size = shape.reduce((a, b) => a * b, 1);
      const acc = new Float64Array(size);
      replies.forEach((r, i) => {
        const w = shards[i]!.count / batchSize;
        const g = r.grads[k]!;
        for (let j = 0; j < size; j++) acc[j]! += w * g[j]!;
      });
      return tf.tensor(Float32Array.from(acc), shape);
    });
    const loss = replies.reduce((a, r, i) => a + (r.loss * shards[i]!.count) / batchSize, 0);
    return { loss, grads, workerMs: replies.map((r) => r.ms) };
  }

  /** Stop the workers. */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}
