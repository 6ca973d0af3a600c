import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '@lel/core';
import { describeMethodMatrix } from '@lel/core/testing';
import { ArSegConfigSchema, type ArSegConfigInput } from './config';
import { ArSegModel, architectureOf } from './model';
import { arSegStepLoss } from './train';

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
  row('AC, masked on features, over-clustering head, stem frozen', { overclusterK: 5 }, /^encoder\.stem\./),
  row('AC, masked on the input, attention, k = 5, distinct orderings', { maskOn: 'input', attention: true, kernelSize: 5, orderingPolicy: 'distinct', lossForm: 'collapsed' }),
  row('IIC baseline (augmented views, unmasked)', { mode: 'iic' }),
]);
