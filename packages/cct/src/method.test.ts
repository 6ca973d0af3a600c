import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng } from '@lel/core';
import { describeMethodMatrix } from '@lel/core/testing';
import type { MethodCase } from '@lel/core/testing';
import { SmallConvEncoder } from './encoder';
import { cctLoss } from './loss';
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

describeMethodMatrix([
  row('cct (noise, drop, dropout, cutout, masking)', { vat: 0, dropout: 1, cutout: 1, contextMasking: 1, objectMasking: 1, featureDrop: 1, featureNoise: 1 }, false),
  row('cct (frozen encoder)', { vat: 0, dropout: 1, cutout: 0, contextMasking: 0, objectMasking: 0, featureDrop: 1, featureNoise: 1 }, true),
]);
