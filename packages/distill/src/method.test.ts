import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Linear, Module, Rng, SGD, relu } from '@lel/core';
import { describeMethodMatrix } from '@lel/core/testing';
import type { MethodCase, MethodRunCase, MethodSetup } from '@lel/core/testing';
import { distillation, type DistillConfigInput, type DistillData } from './recipe';
import { frozenTeacher } from './teacher';
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

type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };

/** The whole method through runMethod: a student, a frozen teacher (not in the checkpoint), 8 points in batches of 4. */
function runRow(config: DistillConfigInput): MethodRunCase<DistillData<Batch> & { teacherNet: Mlp }> {
  return {
    name: `distill ${config.method} through runMethod`,
    method: distillation,
    config,
    data: () => {
      const rng = new Rng(11);
      const student = new Mlp(6, 8, 4, rng);
      const teacherNet = new Mlp(6, 16, 4, rng);
      const xs = rng.normalArray(8 * 6);
      const ys = Array.from({ length: 8 }, (_, i) => i % 4);
      return {
        student,
        teacherNet,
        teacher: frozenTeacher<Mlp, Batch>(teacherNet, (m, b) => m.forward(b.x)),
        studentLogits: (m, b) => (m as Mlp).forward((b as Batch).x),
        labels: (b) => (b as Batch).y,
        data: {
          labeled: function* (_e, r) {
            const order = r.permutation(8);
            for (let s = 0; s < 8; s += 4) {
              const idx = order.slice(s, s + 4);
              yield { x: tf.tensor2d(idx.flatMap((i) => Array.from(xs.slice(6 * i, 6 * i + 6))), [4, 6]), y: tf.tensor1d(idx.map((i) => ys[i]!), 'int32') };
            }
          },
        },
        optimizer: new SGD(student.trainableParameters(), { lr: 0.1, momentum: 0.9 }),
      };
    },
    dispose: (d) => d.teacherNet.dispose(),
    steps: 4,
    resumeAt: 3,
  };
}

describeMethodMatrix([
  runRow({ method: 'kd', epochs: 2, seed: 1 }),
  runRow({ method: 'annealing-kd', tMax: 2, epochs: 2, seed: 2, stage1Selection: { metric: 'loss' } }),
  runRow({ method: 'continuation-kd', tMax: 2, epochs: 2, seed: 3 }),
  runRow({ method: 'none', epochs: 2, seed: 4 }),
  row('distill kd', (p, x, y) => kdLoss({ studentLogits: p.student.forward(x), teacherLogits: p.teacher.forward(x), labels: y }, { alpha: 0.5, temperature: 4 })),
  row('distill continuation-kd', (p, x, y) =>
    continuationKdLoss({ studentLogits: p.student.forward(x), teacherLogits: p.teacher.forward(x), labels: y }, { psi: 0.5, phi: 0.5, margin: 1 }),
  ),
  row('distill label smoothing', (p, x, y) => labelSmoothingCrossEntropy(p.student.forward(x), y, { epsilon: 0.1 })),
  row('distill confidence penalty', (p, x, y) => confidencePenaltyLoss(p.student.forward(x), y, { beta: 0.1 })),
]);
