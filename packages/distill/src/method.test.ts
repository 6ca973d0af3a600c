import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Linear, Module, Rng, relu } from '@lel/core';
import { describeMethodMatrix } from '@lel/core/testing';
import type { MethodCase, MethodSetup } from '@lel/core/testing';
import { confidencePenaltyLoss } from './confidence-penalty';
import { continuationKdLoss } from './continuation-loss';
import { kdLoss } from './kd-loss';
import { labelSmoothingCrossEntropy } from './label-smoothing';

class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(inF: number, hidden: number, outF: number, rng: Rng) {
    super();
    this.fc1 = this.registerModule('fc1', new Linear(inF, hidden, { rng }));
    this.fc2 = this.registerModule('fc2', new Linear(hidden, outF, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.fc2.forward(relu(this.fc1.forward(x)));
  }
}

/** Student and frozen teacher in one tree, so the matrix checks the teacher never moves. */
class Pair extends Module {
  readonly student: Mlp;
  readonly teacher: Mlp;
  constructor(rng: Rng) {
    super();
    this.student = this.registerModule('student', new Mlp(6, 8, 4, rng));
    this.teacher = this.registerModule('teacher', new Mlp(6, 32, 4, rng));
    this.teacher.freeze();
  }
}

function row(name: string, loss: (pair: Pair, x: tf.Tensor, y: tf.Tensor) => tf.Scalar | { total: tf.Scalar }): MethodCase {
  return {
    name,
    setup: (seed): MethodSetup => {
      const rng = new Rng(seed);
      const model = new Pair(rng);
      const x = rng.normalTensor([5, 6]);
      const y = tf.tensor1d([0, 1, 2, 3, 0], 'int32');
      return {
        model,
        loss: () => {
          const out = loss(model, x, y);
          return out instanceof tf.Tensor ? out : out.total;
        },
        dispose: () => tf.dispose([x, y]),
      };
    },
  };
}

describeMethodMatrix([
  row('distill kd', (p, x, y) => kdLoss({ studentLogits: p.student.forward(x), teacherLogits: p.teacher.forward(x), labels: y }, { alpha: 0.5, temperature: 4 })),
  row('distill continuation-kd', (p, x, y) =>
    continuationKdLoss({ studentLogits: p.student.forward(x), teacherLogits: p.teacher.forward(x), labels: y }, { psi: 0.5, phi: 0.5, margin: 1 }),
  ),
  row('distill label smoothing', (p, x, y) => labelSmoothingCrossEntropy(p.student.forward(x), y, { epsilon: 0.1 })),
  row('distill confidence penalty', (p, x, y) => confidencePenaltyLoss(p.student.forward(x), y, { beta: 0.1 })),
]);
