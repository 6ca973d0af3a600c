import * as tf from '@tensorflow/tfjs-core';
import { Adam, fit, Rng, setGlobalSeed, validateConfig } from '@lel/core';
import type { FitResult, ProgressMode } from '@lel/core';
import type { MilBag } from './bags';
import { MilIbConfigSchema } from './config';
import type { MilIbConfig } from './config';
import { milIbLoss } from './mil-loss';
import { BernoulliMaskMil } from './mil-model';

/** Bag accuracy of a MIL model in eval mode (top-k instances with the IB); the previous mode is restored. */
export function evaluateMil(model: BernoulliMaskMil, bags: readonly MilBag[]): { accuracy: number; predictions: number[] } {
  if (bags.length === 0) throw new Error('evaluateMil: no bags');
  const wasTraining = model.training;
  model.eval();
  try {
    const predictions = bags.map((bag) =>
      tf.tidy(() => {
        const out = model.forward(tf.tensor2d(bag.features, [bag.n, bag.dim]));
        return tf.argMax(out.logits, -1).dataSync()[0]!;
      }),
    );
    const correct = predictions.filter((p, i) => p === bags[i]!.label).length;
    return { accuracy: correct / bags.length, predictions };
  } finally {
    model.train(wasTraining);
  }
}

/**
 * Train the Bernoulli-mask IB (or plain CLAM-SB with `useIb: false`) on bags, one bag per step as the official
 * code, with Adam (coupled L2 weight decay, as torch.optim.Adam) and loss bagWeight·CE + infoWeight·info.
 * `validation` bags are scored after every epoch (`val_acc`). Seeds the process-wide generator (dropout) with
 * `config.seed`, so a run is reproducible whatever ran before it.
 */
export async function trainMilIb(
  bags: readonly MilBag[],
  rawConfig: Partial<MilIbConfig> = {},
  options: { validation?: readonly MilBag[]; progress?: ProgressMode; runDir?: string } = {},
): Promise<{ model: BernoulliMaskMil; result: FitResult; config: MilIbConfig }> {
  if (bags.length === 0) throw new Error('trainMilIb: no bags');
  const dim = bags[0]!.dim;
  const config = validateConfig(MilIbConfigSchema, { inputDim: dim, ...rawConfig });
  bags.forEach((b, i) => {
    if (b.n < 1) throw new Error(`trainMilIb: bag ${i} is empty; a bag needs at least one instance`);
    if (b.dim !== config.inputDim) throw new Error(`trainMilIb: bag ${i} has ${b.dim} features per instance, inputDim is ${config.inputDim}`);
    if (!(b.label >= 0 && b.label < config.numClasses)) throw new Error(`trainMilIb: bag ${i} has label ${b.label}, outside [0, ${config.numClasses})`);
  });
  const { lr, weightDecay, epochs, seed, bagWeight, infoWeight, threshold, ...arch } = config;
  setGlobalSeed(`mil-train/${seed}`);
  const model = new BernoulliMaskMil({ ...arch, threshold, rng: new Rng(`mil-init/${seed}`) });
  model.train();
  const optimizer = new Adam(model.trainableParameters(), { lr, weightDecay });
  try {
    const result = await fit({
      model,
      optimizer,
      epochs,
      seed,
      config,
      progress: options.progress ?? 'none',
      ...(options.runDir ? { runDir: options.runDir } : {}),
      data: {
        labeled: function* (_epoch, rng) {
          for (const i of rng.permutation(bags.length)) {
            const b = bags[i]!;
            yield { x: tf.tensor2d(b.features, [b.n, b.dim]), y: tf.tensor1d([b.label], 'int32') };
          }
        },
      },
      step: (batch, ctx) => {
        const out = model.forward(batch.x, { rng: ctx.rng });
        return milIbLoss(out, batch.y, { bagWeight, infoWeight, threshold });
      },
      ...(options.validation ? { evaluate: () => ({ val_acc: evaluateMil(model, options.validation!).accuracy }) } : {}),
    });
    return { model, result, config };
  } finally {
    optimizer.dispose();
  }
}
