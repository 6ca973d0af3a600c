import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '@lel/core';
import { describeMethodMatrix } from '@lel/core/testing';
import type { MethodCase, MethodRunCase } from '@lel/core/testing';
import type { SegmentationSet } from './data';
import { SmallConvEncoder } from './encoder';
import { cctLoss } from './loss';
import { cct, type CctData } from './method';
import { CctModel } from './model';

// The shared method matrix on a tiny CCT: the loss draws its perturbations from a generator created per call,
// so every call is reproducible (the matrix compares losses across instances and calls).
function row(name: string, perturbations: Record<string, number>, freezeEncoder: boolean): MethodCase {
  return {
    name,
    setup: (seed) => {
      const rng = new Rng(seed);
      const model = new CctModel(new SmallConvEncoder({ widths: [4, 8], outputStride: 2 }), {
        numClasses: 3,
        perturbations,
      }, rng);
      if (freezeEncoder) model.freeze(/^encoder\./);
      const xl = rng.uniformTensor([2, 8, 8, 3]) as tf.Tensor4D;
      const xu = rng.uniformTensor([2, 8, 8, 3]) as tf.Tensor4D;
      const labels = tf.tensor3d(Array.from({ length: 128 }, (_, i) => (i % 7 === 0 ? 255 : i % 3)), [2, 8, 8], 'int32');
      return {
        model,
        loss: () => {
          const un = model.forwardUnsupervised(xu, new Rng(seed + 17));
          const parts = cctLoss({ supLogits: model.forward(xl), labels, unsupMainLogits: un.mainLogits, auxLogits: un.auxLogits, weightU: 1 });
          return parts.total;
        },
        dispose: () => tf.dispose([xl, xu, labels]),
      };
    },
  };
}

/** Tiny image sets whose images are their one-hot labels plus noise. */
function toySet(n: number, seed: number): SegmentationSet {
  const rng = new Rng(seed);
  return tf.tidy(() => {
    const labels = tf.tensor3d(Array.from({ length: n * 64 }, () => rng.int(3)), [n, 8, 8], 'int32');
    return { images: tf.add(tf.cast(tf.oneHot(labels, 3), 'float32'), rng.uniformTensor([n, 8, 8, 3], 0, 0.1)) as tf.Tensor4D, labels };
  });
}

/** The whole method through runMethod: semi (every loss part, two streams, perturbation noise) or supervised. */
function runRow(mode: 'semi' | 'supervised', freezeEncoder: boolean): MethodRunCase<CctData> {
  const config = {
    numClasses: 3,
    mode,
    upscale: 2,
    perturbations: { vat: 1, dropout: 1, cutout: 0, contextMasking: 0, objectMasking: 0, featureDrop: 1, featureNoise: 1 },
    train: { epochs: 4, labelledBatchSize: 2, unlabelledBatchSize: 2, valEvery: 1, earlyStop: 0, seed: 3, weakLabels: false },
  };
  return {
    name: `cct ${mode}${freezeEncoder ? ' (frozen encoder)' : ''} through runMethod`,
    method: cct,
    config,
    data: () => {
      const rng = new Rng(5);
      const model = new CctModel(new SmallConvEncoder({ widths: [4, 6], outputStride: 2, rng }), config, rng);
      if (freezeEncoder) model.freeze(/^encoder\./);
      return { model, labelled: toySet(3, 1), ...(mode === 'semi' ? { unlabelled: toySet(4, 2) } : {}), val: toySet(2, 3) };
    },
    dispose: (d) => tf.dispose([d.labelled, d.unlabelled, d.val].flatMap((s) => (s ? [s.images, s.labels] : []))),
    steps: 4,
    resumeAt: 3,
  };
}

describeMethodMatrix([
  runRow('semi', false),
  runRow('supervised', true),
  row('cct (noise, drop, dropout, cutout, masking)', { vat: 0, dropout: 1, cutout: 1, contextMasking: 1, objectMasking: 1, featureDrop: 1, featureNoise: 1 }, false),
  row('cct (frozen encoder)', { vat: 0, dropout: 1, cutout: 0, contextMasking: 0, objectMasking: 0, featureDrop: 1, featureNoise: 1 }, true),
]);
