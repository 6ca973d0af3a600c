import * as tf from '@tensorflow/tfjs-core';
import { Adam, defineMethod, Rng } from '@lel/core';
import { EntropyMinConfigSchema } from './config';
import { entropyMinLoss } from './loss';
import { EntropyMinClassifier } from './model';

/** In-memory data: features [N, D] and labels for the labelled part, features only for the rest. */
export interface EntropyMinData {
  labeledX: Float32Array;
  labeledY: Int32Array;
  unlabeledX: Float32Array;
  features: number;
  numClasses: number;
}

/** A batch of features, with labels on the labelled stream. */
export interface EntropyMinBatch {
  x: tf.Tensor2D;
  y?: tf.Tensor1D;
}

/** One epoch of shuffled full batches (the generator of the epoch decides the order). */
function* batches(x: Float32Array, y: Int32Array | undefined, d: number, size: number, rng: Rng): Generator<EntropyMinBatch> {
  const n = x.length / d;
  const order = rng.permutation(n);
  for (let s = 0; s + size <= n; s += size) {
    const idx = order.slice(s, s + size);
    const bx = new Float32Array(size * d);
    idx.forEach((i, k) => bx.set(x.subarray(i * d, (i + 1) * d), k * d));
    const by = y ? tf.tensor1d(Int32Array.from(idx, (i) => y[i]!), 'int32') : undefined;
    yield { x: tf.tensor2d(bx, [size, d]), ...(by ? { y: by } : {}) };
  }
}

/**
 * Entropy minimisation (Grandvalet & Bengio, NeurIPS 2004) as a method of `@lel/core`'s contract: an MLP
 * classifier trained with Adam on CE(labelled) + unsupWeight · H(p(unlabelled)), one labelled and one unlabelled
 * batch per step. Train it with `runMethod(entropyMin, config, data, run)` (or {@link trainEntropyMin}).
 */
export const entropyMin = defineMethod({
  name: 'entropy-min',
  description: 'entropy minimisation: cross-entropy on labelled data plus the prediction entropy on unlabelled data',
  configSchema: EntropyMinConfigSchema,
  build(config, data: EntropyMinData) {
    const nL = data.labeledY.length;
    if (data.labeledX.length !== nL * data.features) {
      throw new Error(`entropy-min: labeledX has ${data.labeledX.length} values, expected ${nL} × ${data.features}`);
    }
    if (data.unlabeledX.length % data.features !== 0) {
      throw new Error(`entropy-min: unlabeledX has ${data.unlabeledX.length} values, not a multiple of ${data.features} features`);
    }
    const bs = Math.min(config.batchSize, nL);
    const model = new EntropyMinClassifier(data.features, config.hidden, data.numClasses, new Rng(config.seed));
    return {
      model,
      optimizers: new Adam(model.trainableParameters(), { lr: config.lr }),
      data: {
        // Parameters left to inference: TypeScript infers the batch types of `loss` and `ctx.unlabeled` from these.
        labeled: (_epoch, rng) => batches(data.labeledX, data.labeledY, data.features, bs, rng),
        unlabeled: (_epoch, rng) => batches(data.unlabeledX, undefined, data.features, bs, rng),
      },
      loss: (batch, ctx) => entropyMinLoss(model.forward(batch.x), batch.y!, model.forward(ctx.unlabeled!.x), config.unsupWeight),
      maxSteps: config.steps,
      seed: config.seed,
      batchSize: (batch) => batch.x.shape[0],
      /** Class probabilities [N, numClasses] of features [N, D]. */
      predict: (x: tf.Tensor2D): tf.Tensor2D => tf.tidy(() => tf.softmax(model.forward(x))),
      cleanup: ({ failed }) => {
        if (failed) model.dispose();
      },
    };
  },
});
