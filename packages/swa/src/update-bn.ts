import * as tf from '@tensorflow/tfjs-core';
import type { Module } from '@lel/core';

/** Options of {@link updateBn}. */
export interface UpdateBnOptions<B> {
  /** Run the model on one batch (default: `model.forward(batch)` for tensor batches). Outputs are disposed. */
  forward?: (model: Module, batch: B) => tf.TensorContainer | void;
  /** Dispose tensors inside each batch after it is used. Default false (the caller owns the data). */
  disposeBatches?: boolean;
}

/** What {@link updateBn} did. */
export interface UpdateBnReport {
  /** BatchNorm layers whose statistics were recomputed. */
  layers: string[];
  /** Batches seen. */
  batches: number;
  /** Set when nothing was updated (a model without BatchNorm, e.g. LayerNorm transformers). */
  note?: string;
}

interface BnLayer {
  name: string;
  module: Module & { forward: (x: tf.Tensor, ...rest: unknown[]) => unknown };
  mean: tf.Variable;
  variance: tf.Variable;
  count: tf.Variable | undefined;
  sumMean: tf.Tensor | null;
  sumVar: tf.Tensor | null;
}

/** BatchNorm layers: modules that own `running_mean` and `running_var` buffers (torch's `_BatchNorm` test, by state). */
function findBatchNorms(model: Module): BnLayer[] {
  const out: BnLayer[] = [];
  for (const [name, m] of model.namedModules()) {
    const own = new Map(m.namedBuffers().filter(([n]) => !n.includes('.')));
    const mean = own.get('running_mean');
    const variance = own.get('running_var');
    if (!mean || !variance) continue;
    if (typeof (m as { forward?: unknown }).forward !== 'function') continue;
    out.push({ name: name || '(root)', module: m as BnLayer['module'], mean, variance, count: own.get('num_batches_tracked'), sumMean: null, sumVar: null });
  }
  return out;
}

/**
 * Recompute BatchNorm running statistics for the current weights (torch `swa_utils.update_bn`): one
 * pass over `batches` in training mode, with each layer's statistics reset and replaced by the
 * **cumulative average** over batches (torch's `momentum = None`) of the per-batch channel means and
 * unbiased (n − 1) variances, over every axis but the last (NHWC). Each batch weighs the same whatever
 * its size, as in torch. `num_batches_tracked`, when present, becomes the number of batches.
 *
 * The statistics are measured at each layer's input (its `forward` is wrapped for the pass) rather than
 * by changing the layer's momentum, so the result does not depend on how a BatchNorm implementation
 * updates its buffers. Parameters, other buffers and train/eval modes are left as they were.
 * Models without BatchNorm (LayerNorm transformers such as BERT) have no running statistics: the call
 * is a no-op and the report says so.
 */
export async function updateBn<B>(model: Module, batches: Iterable<B> | AsyncIterable<B>, options: UpdateBnOptions<B> = {}): Promise<UpdateBnReport> {
  const layers = findBatchNorms(model);
  if (layers.length === 0) {
    return {
      layers: [],
      batches: 0,
      note: 'updateBn: the model has no BatchNorm layer (running_mean/running_var); LayerNorm models such as BERT keep no running statistics, so there is nothing to recompute',
    };
  }
  const forward =
    options.forward ??
    ((m: Module, b: B) => {
      if (!(b instanceof tf.Tensor)) throw new Error('updateBn: batches are not tensors; pass options.forward to run the model on them');
      const f = (m as { forward?: (x: tf.Tensor) => tf.TensorContainer }).forward;
      if (typeof f !== 'function') throw new Error('updateBn: the model has no forward(x); pass options.forward');
      return f.call(m, b);
    });
  const modes = model.namedModules().map(([, m]) => [m, m.training] as const);
  const originals = layers.map((l) => l.module.forward);
  let nb = 0;
  try {
    model.train(true);
    for (const l of layers) {
      const original = l.module.forward;
      // Instance-level wrapper: measure this layer's input, then run the layer unchanged.
      l.module.forward = (x: tf.Tensor, ...rest: unknown[]) => {
        const n = x.size / x.shape[x.rank - 1]!;
        if (n < 2) throw new Error(`updateBn: layer ${l.name} got a batch with ${n} value(s) per channel; the unbiased variance needs at least 2`);
        const [bm, bv] = tf.tidy(() => {
          const axes = Array.from({ length: x.rank - 1 }, (_, i) => i);
          const { mean, variance } = tf.moments(x, axes);
          return [mean, tf.mul(variance, n / (n - 1))];
        });
        const sm = l.sumMean ? tf.add(l.sumMean, bm) : bm.clone();
        const sv = l.sumVar ? tf.add(l.sumVar, bv) : bv.clone();
        tf.dispose([l.sumMean, l.sumVar, bm, bv].filter((t): t is tf.Tensor => t !== null));
        l.sumMean = tf.keep(sm);
        l.sumVar = tf.keep(sv);
        return original.call(l.module, x, ...rest);
      };
    }
    for await (const batch of batches as AsyncIterable<B>) {
      const out = tf.tidy(() => {
        const r = forward(model, batch);
        return r === undefined ? [] : r;
      });
      tf.dispose(out as tf.TensorContainer);
      if (options.disposeBatches) tf.dispose(batch as unknown as tf.TensorContainer);
      nb++;
    }
    if (nb === 0) throw new Error('updateBn: no batches; the statistics need at least one pass over data');
    for (const l of layers) {
      if (!l.sumMean || !l.sumVar) throw new Error(`updateBn: BatchNorm layer ${l.name} was not reached by the forward pass`);
      tf.tidy(() => {
        l.mean.assign(tf.div(l.sumMean!, nb));
        l.variance.assign(tf.div(l.sumVar!, nb));
        if (l.count) l.count.assign(tf.scalar(nb, l.count.dtype));
      });
    }
  } finally {
    layers.forEach((l, i) => {
      // Drop the instance wrapper; restore an own property only if there was one before.
      if (Object.prototype.hasOwnProperty.call(l.module, 'forward') && originals[i] === Object.getPrototypeOf(l.module).forward) {
        delete (l.module as { forward?: unknown }).forward;
      } else {
        l.module.forward = originals[i]!;
      }
      tf.dispose([l.sumMean, l.sumVar].filter((t): t is tf.Tensor => t !== null));
      l.sumMean = null;
      l.sumVar = null;
    });
    for (const [m, mode] of modes) m.training = mode;
  }
  return { layers: layers.map((l) => l.name), batches: nb };
}
