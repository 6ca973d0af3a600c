import * as tf from '@tensorflow/tfjs-core';
import { Adam, defineMethod, readValues, Rng, runMethod, setGlobalSeed } from '@lel/core';
import type { FitResult, MethodRunOptions, ProgressMode } from '@lel/core';
import type { MilBag } from './bags';
import { MilIbConfigSchema } from './config';
import type { MilIbConfig } from './config';
import { milIbLoss } from './mil-loss';
import { BernoulliMaskMil } from './mil-model';

/**
 * Bag accuracy of a MIL model in eval mode (top-k instances with the IB); the previous mode is restored. The
 * predictions are read back once, asynchronously (every backend).
 */
export async function evaluateMil(model: BernoulliMaskMil, bags: readonly MilBag[]): Promise<{ accuracy: number; predictions: number[] }> {
  if (bags.length === 0) throw new Error('evaluateMil: no bags');
  const wasTraining = model.training;
  model.eval();
  try {
    // One small tensor per bag (each forward tidied), read back together.
    const perBag = bags.map((bag) => tf.tidy(() => tf.reshape(tf.argMax(model.forward(tf.tensor2d(bag.features, [bag.n, bag.dim])).logits, -1), [1])));
    const predicted = tf.concat(perBag);
    tf.dispose(perBag);
    const predictions = Array.from(await readValues(predicted, { dispose: true }));
    const correct = predictions.filter((p, i) => p === bags[i]!.label).length;
    return { accuracy: correct / bags.length, predictions };
  } finally {
    model.train(wasTraining);
  }
}

/** The data of {@link milIb}: training bags, and optionally validation bags scored every epoch (`val_acc`). */
export interface MilIbData {
  bags: readonly MilBag[];
  validation?: readonly MilBag[];
}

/** A bag's instances as a [n, dim] tensor. */
export function bagTensor(bag: Pick<MilBag, 'features' | 'n' | 'dim'>): tf.Tensor2D {
  return tf.tensor2d(bag.features, [bag.n, bag.dim]);
}

/** What {@link milIb}'s `predict` gives for a bag: class probabilities and the attention of every instance (0 where top-k dropped it). */
export interface MilBagPrediction {
  probabilities: number[];
  attention: number[];
}

/** Eval-mode outputs of one bag (the model's mode is restored). */
export async function predictBag(model: BernoulliMaskMil, bag: Pick<MilBag, 'features' | 'n' | 'dim'>): Promise<MilBagPrediction> {
  const was = model.training;
  model.eval();
  try {
    const out = tf.tidy(() => {
      const o = model.forward(bagTensor(bag));
      return { probs: o.probabilities, att: o.attention, ...(o.kept ? { kept: o.kept } : {}) };
    });
    const probabilities = Array.from(await out.probs.data());
    const a = await out.att.data();
    const keptIdx: number[] = out.kept ? Array.from(await out.kept.data()) : Array.from({ length: bag.n }, (_, i) => i);
    tf.dispose([out.probs, out.att, ...(out.kept ? [out.kept] : [])]);
    const attention = new Array<number>(bag.n).fill(0);
    keptIdx.forEach((inst, j) => (attention[inst] = a[j]!));
    return { probabilities, attention };
  } finally {
    model.train(was);
  }
}

/**
 * The Bernoulli-mask information bottleneck for multiple-instance learning (or plain CLAM-SB with `useIb: false`)
 * as a method: one bag per step in a fresh order every epoch as the official code, Adam (coupled L2 weight decay,
 * as torch.optim.Adam), loss bagWeight·CE + infoWeight·info. Seeds the process-wide generator (dropout) with
 * `config.seed`, so a run is reproducible whatever ran before it. `predict(bag)` gives the bag's class
 * probabilities and the attention over its instances.
 */
export const milIb = defineMethod({
  name: 'mil-ib',
  description: 'Bernoulli-mask information bottleneck for multiple-instance learning (CLAM-SB with useIb: false)',
  configSchema: MilIbConfigSchema,
  build(config, data: MilIbData) {
    const { bags } = data;
    if (bags.length === 0) throw new Error('mil-ib: no bags');
    bags.forEach((b, i) => {
      if (b.n < 1) throw new Error(`mil-ib: bag ${i} is empty; a bag needs at least one instance`);
      if (b.dim !== config.inputDim) throw new Error(`mil-ib: bag ${i} has ${b.dim} features per instance, inputDim is ${config.inputDim}`);
      if (!(b.label >= 0 && b.label < config.numClasses)) throw new Error(`mil-ib: bag ${i} has label ${b.label}, outside [0, ${config.numClasses})`);
    });
    const { lr, weightDecay, epochs, seed, bagWeight, infoWeight, threshold, ...arch } = config;
    setGlobalSeed(`mil-train/${seed}`);
    const model = new BernoulliMaskMil({ ...arch, threshold, rng: new Rng(`mil-init/${seed}`) });
    model.train();
    const validation = data.validation;
    return {
      model,
      optimizers: new Adam(model.trainableParameters(), { lr, weightDecay }),
      data: {
        labeled: function* (_epoch: number, rng: Rng) {
          for (const i of rng.permutation(bags.length)) {
            const b = bags[i]!;
            yield { x: bagTensor(b), y: tf.tensor1d([b.label], 'int32') };
          }
        },
      },
      loss: (batch: { x: tf.Tensor2D; y: tf.Tensor1D }, ctx: { rng: Rng }) => milIbLoss(model.forward(batch.x, { rng: ctx.rng }), batch.y, { bagWeight, infoWeight, threshold }),
      epochs,
      stepsPerEpoch: bags.length,
      seed,
      batchSize: () => 1,
      ...(validation ? { evaluate: async () => ({ val_acc: (await evaluateMil(model, validation)).accuracy }) } : {}),
      predict: (bag: Pick<MilBag, 'features' | 'n' | 'dim'>) => predictBag(model, bag),
      cleanup: ({ failed }: { failed: boolean }) => {
        if (failed) model.dispose();
      },
    };
  },
});

/**
 * Train the Bernoulli-mask IB (or plain CLAM-SB with `useIb: false`) on bags: `runMethod(milIb, …)` with
 * `inputDim` taken from the bags. `validation` bags are scored after every epoch (`val_acc`).
 */
export async function trainMilIb(
  bags: readonly MilBag[],
  rawConfig: Partial<MilIbConfig> = {},
  options: { validation?: readonly MilBag[]; progress?: ProgressMode; runDir?: string } & MethodRunOptions = {},
): Promise<{ model: BernoulliMaskMil; result: FitResult; config: MilIbConfig }> {
  if (bags.length === 0) throw new Error('trainMilIb: no bags');
  const { validation, ...run } = options;
  const r = await runMethod(milIb, { inputDim: bags[0]!.dim, ...rawConfig }, { bags, ...(validation ? { validation } : {}) }, { progress: 'none', ...run });
  return { model: r.model, result: r.result, config: r.config };
}
