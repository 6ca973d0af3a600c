import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Module, Rng, SGD, relu, type Callback } from '@lel/core';
import { describeTrajectory, type SuiteFixture } from '@lel/core/testing';
import type { DistillMethodInput } from './config';
import { distill } from './recipe';
import { frozenTeacher } from './teacher';

type Doc = { method: DistillMethodInput; optim: { lr: number; momentum: number; weightDecay: number }; epochs: number; stepsPerEpoch: number; batches: number[][] };

/** A two-layer MLP with LEL parameter names `fc1.*`, `fc2.*` (the reference's). */
class Mlp extends Module {
  readonly fc1: Linear;
  readonly fc2: Linear;
  constructor(d: number, h: number, c: number) {
    super();
    const rng = new Rng('unused');
    this.fc1 = this.registerModule('fc1', new Linear(d, h, { rng }));
    this.fc2 = this.registerModule('fc2', new Linear(h, c, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.fc2.forward(relu(this.fc1.forward(x)));
  }
}

type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };

/**
 * `distill` against `reference/vision/trajectory_kd.py` (float64 PyTorch): the fixture's batches and teacher, the
 * same initial student, 40 SGD steps with the method's per-epoch schedule.
 */
async function runFixture(f: SuiteFixture<Doc>, maxSteps: number) {
  const { method, optim, epochs, stepsPerEpoch, batches } = f.doc;
  const [d, h] = f.tensors.get('init.fc1.weight')!.shape as [number, number];
  const c = f.tensors.get('init.fc2.weight')!.shape[1]!;
  const student = new Mlp(d, h, c);
  student.loadStateDict(f.group('init'));
  const teacherModel = new Mlp(d, f.tensors.get('teacher.fc1.weight')!.shape[1]!, c);
  teacherModel.loadStateDict(f.group('teacher'));
  const x = f.tensors.get('data.x')!;
  const y = f.tensors.get('data.y')!;
  const optimizer = new SGD(student.trainableParameters(), optim);
  const steps: Record<string, number>[] = [];
  const recorder: Callback = { onStepEnd: (_ctx, m) => void steps.push({ total: m.loss!, hard: m.hard!, soft: m.soft! }) };
  try {
    await distill<Batch>({
      student,
      method,
      teacher: frozenTeacher<Mlp, Batch>(teacherModel, (m, b) => m.forward(b.x), { numClasses: c }),
      studentLogits: (s, b) => (s as Mlp).forward(b.x),
      labels: (b) => b.y,
      epochs,
      optimizer,
      data: {
        labeled: function* (epoch) {
          for (const idx of batches.slice(epoch * stepsPerEpoch, (epoch + 1) * stepsPerEpoch)) {
            // The index tensor is freed before the yield: a run stopped mid-epoch (maxSteps) never resumes this generator.
            yield tf.tidy(() => {
              const i = tf.tensor1d(idx, 'int32');
              return { x: tf.gather(x, i) as tf.Tensor2D, y: tf.gather(y, i) as tf.Tensor1D };
            });
          }
        },
      },
      stepsPerEpoch,
      maxSteps,
      callbacks: [recorder],
      progress: 'none',
      batchSize: (b) => b.x.shape[0],
    });
    return { steps, state: new Map([...student.stateDict()].map(([k, v]) => [k, tf.clone(v)])) };
  } finally {
    optimizer.dispose();
    student.dispose();
    teacherModel.dispose();
  }
}

describeTrajectory<Doc>('distill KD (with unlabelled transfer rows)', new URL('./fixtures/trajectory/kd.json', import.meta.url), runFixture);
describeTrajectory<Doc>('distill Continuation-KD', new URL('./fixtures/trajectory/continuation-kd.json', import.meta.url), runFixture);
