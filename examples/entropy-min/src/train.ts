import * as tf from '@tensorflow/tfjs-core';
import { Adam, fit, Rng, validateConfig } from '@lel/core';
import type { FitResult } from '@lel/core';
import { EntropyMinConfigSchema } from './config';
import type { EntropyMinConfig } from './config';
import { EntropyMinClassifier } from './model';
import { entropyMinLoss } from './loss';

/** In-memory data for the recipe: features [N, D] and labels for the labelled part, features only for the rest. */
export interface EntropyMinData {
  labeledX: Float32Array;
  labeledY: Int32Array;
  unlabeledX: Float32Array;
  features: number;
  numClasses: number;
}

function* batches(x: Float32Array, y: Int32Array | undefined, d: number, size: number, rng: Rng): Generator<{ x: tf.Tensor2D; y?: tf.Tensor1D }> {
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

/** Train the classifier with entropy minimisation on labelled + unlabelled streams. */
export async function trainEntropyMin(
  data: EntropyMinData,
  rawConfig: Partial<EntropyMinConfig> = {},
  options: { runDir?: string; progress?: 'auto' | 'bar' | 'lines' | 'none' } = {},
): Promise<{ model: EntropyMinClassifier; result: FitResult; config: EntropyMinConfig }> {
  const config = validateConfig(EntropyMinConfigSchema, rawConfig);
  const nL = data.labeledY.length;
  if (data.labeledX.length !== nL * data.features) {
    throw new Error(`trainEntropyMin: labeledX has ${data.labeledX.length} values, expected ${nL} × ${data.features}`);
  }
  const bs = Math.min(config.batchSize, nL);
  const model = new EntropyMinClassifier(data.features, config.hidden, data.numClasses, new Rng(config.seed));
  const optimizer = new Adam(model.trainableParameters(), { lr: config.lr });
  try {
    const result = await fit({
      model,
      optimizer,
      maxSteps: config.steps,
      seed: config.seed,
      config,
      ...(options.runDir ? { runDir: options.runDir } : {}),
      progress: options.progress ?? 'none',
      data: {
        labeled: (_epoch, rng) => batches(data.labeledX, data.labeledY, data.features, bs, rng),
        unlabeled: (_epoch, rng) => batches(data.unlabeledX, undefined, data.features, bs, rng),
      },
      step: (batch, ctx) => {
        const u = ctx.unlabeled!;
        return { ...entropyMinLoss(model.forward(batch.x), batch.y!, model.forward(u.x), config.unsupWeight) };
      },
    });
    return { model, result, config };
  } finally {
    optimizer.dispose();
  }
}
