import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '@lel/core';
import { describeMethodMatrix } from '@lel/core/testing';
import { ArSegConfigSchema, type ArSegConfigInput } from './config';
import { ArSegModel, architectureOf } from './model';
import { arSeg, arSegStepLoss, type ArSegData } from './train';
import type { MethodRunCase } from '@lel/core/testing';

/** The whole method through runMethod on tiny unlabelled images (scored against their labels at the end). */
function runRow(name: string, cfg: ArSegConfigInput): MethodRunCase<ArSegData> {
  const n = 6;
  return {
    name,
    method: arSeg,
    config: { inChannels: 2, numClusters: 2, stemChannels: 4, numBlocks: 1, halfT: 1, batchSize: 2, steps: 5, seed: 1, ...cfg },
    data: () => {
      const rng = new Rng(9);
      const images = { images: Float32Array.from({ length: n * 8 * 8 * 2 }, () => rng.next()), n, height: 8, width: 8, channels: 2 };
      return { images, evalData: { ...images, masks: Int32Array.from({ length: n * 64 }, (_, i) => i % 2), numClasses: 2 } };
    },
    steps: 5,
    resumeAt: 4,
  };
}

function row(name: string, cfg: ArSegConfigInput, freeze?: RegExp) {
  return {
    name,
    setup: (seed: number) => {
      const config = ArSegConfigSchema.parse({ inChannels: 2, numClusters: 3, stemChannels: 4, numBlocks: 2, halfT: 1, ...cfg });
      const rng = new Rng(seed);
      const model = new ArSegModel(architectureOf(config), rng);
      if (freeze) model.freeze(freeze);
      const x = rng.uniformTensor([2, 8, 8, 2]) as tf.Tensor4D;
      // A fresh generator per loss call: the same orderings / views every call, so the loss is a fixed function.
      return { model, loss: () => arSegStepLoss(model, x, config, new Rng(seed + 100)), dispose: () => tf.dispose(x) };
    },
  };
}

// The shared method matrix: leaks, frozen parameters, checkpoint round trip, finiteness, determinism.
describeMethodMatrix([
  runRow('AC through runMethod (resumed mid-epoch)', {}),
  runRow('IIC baseline through runMethod', { mode: 'iic' }),
  row('AC, masked on features, over-clustering head, stem frozen', { overclusterK: 5 }, /^encoder\.stem\./),
  row('AC, masked on the input, attention, k = 5, distinct orderings', { maskOn: 'input', attention: true, kernelSize: 5, orderingPolicy: 'distinct', lossForm: 'collapsed' }),
  row('IIC baseline (augmented views, unmasked)', { mode: 'iic' }),
]);
