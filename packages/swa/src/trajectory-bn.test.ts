import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Linear, Module, Rng, SGD, crossEntropy, fit, globalAvgPool2d, polyLr, relu, type Callback } from '@lel/core';
import { describeTrajectory, type SuiteFixture } from '@lel/core/testing';
import { SwaCallback } from './callback';
import { swaLrSchedule } from './swa-lr-schedule';

type Doc = {
  config: { lr: number; momentum: number; weightDecay: number; swaLr: number; swaStart: number; every: number; epochs: number; stepsPerEpoch: number; bnBatch: number };
  batches: number[][];
};

/** conv3×3 → BatchNorm → ReLU → global average pool → linear, with the reference's parameter names. */
class ConvBnNet extends Module {
  readonly conv: Conv2d;
  readonly bn: BatchNorm2d;
  readonly fc: Linear;
  constructor(cin: number, ch: number, classes: number) {
    super();
    const rng = new Rng('unused');
    this.conv = this.registerModule('conv', new Conv2d(cin, ch, 3, { padding: 1, bias: false, rng }));
    this.bn = this.registerModule('bn', new BatchNorm2d(ch));
    this.fc = this.registerModule('fc', new Linear(ch, classes, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.fc.forward(globalAvgPool2d(relu(this.bn.forward(this.conv.forward(x))))));
  }
}

type Batch = { x: tf.Tensor4D; y: tf.Tensor1D };

/**
 * SGD with SWALR and `SwaCallback` (per-step averaging from half the run, BatchNorm statistics recomputed by
 * `updateBn` at the end) against `reference/vision/trajectory_swa.py`, which uses PyTorch's own swa_utils.
 */
async function runFixture(f: SuiteFixture<Doc>, maxSteps: number) {
  const { config: c, batches } = f.doc;
  const [, , cin, ch] = f.tensors.get('init.conv.weight')!.shape as number[];
  const model = new ConvBnNet(cin!, ch!, f.tensors.get('init.fc.weight')!.shape[1]!);
  model.loadStateDict(f.group('init'));
  const x = f.tensors.get('data.x')! as tf.Tensor4D;
  const y = f.tensors.get('data.y')!;
  const total = c.epochs * c.stepsPerEpoch;
  const optimizer = new SGD(model.trainableParameters(), { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay });
  const n = x.shape[0];
  const bnBatches = Array.from({ length: Math.ceil(n / c.bnBatch) }, (_, i) => tf.slice(x, [i * c.bnBatch, 0, 0, 0], [Math.min(c.bnBatch, n - i * c.bnBatch), -1, -1, -1]));
  const swa = new SwaCallback<tf.Tensor4D>({
    unit: 'step',
    every: c.every,
    swaStart: c.swaStart,
    bnData: () => bnBatches,
    bnForward: (m, b) => (m as ConvBnNet).forward(b),
  });
  const steps: Record<string, number>[] = [];
  const recorder: Callback = { onStepEnd: (ctx, m) => void steps.push({ total: m.loss!, lr: ctx.lr }) };
  try {
    await fit<Batch>({
      model,
      optimizer,
      schedule: swaLrSchedule({ base: polyLr({ baseLr: c.lr, maxIter: total, power: 0.9 }), swaLr: c.swaLr, startStep: Math.floor(c.swaStart * total), annealEpochs: 0, unit: 'step' }),
      step: (b) => ({ total: crossEntropy(model.forward(b.x), b.y) as tf.Scalar }),
      data: {
        labeled: function* (epoch) {
          for (const idx of batches.slice(epoch * c.stepsPerEpoch, (epoch + 1) * c.stepsPerEpoch)) {
            // The index tensor is freed before the yield: a run stopped mid-epoch (maxSteps) never resumes this generator.
            yield tf.tidy(() => {
              const i = tf.tensor1d(idx, 'int32');
              return { x: tf.gather(x, i) as tf.Tensor4D, y: tf.gather(y, i) as tf.Tensor1D };
            });
          }
        },
      },
      epochs: c.epochs,
      stepsPerEpoch: c.stepsPerEpoch,
      maxSteps,
      callbacks: [recorder, swa],
      progress: 'none',
    });
    return { steps, state: new Map([...model.stateDict()].map(([k, v]) => [k, tf.clone(v)])) };
  } finally {
    tf.dispose(bnBatches);
    swa.dispose();
    optimizer.dispose();
    model.dispose();
  }
}

describeTrajectory<Doc>('swa with BatchNorm update', new URL('./fixtures/trajectory/swa-bn.json', import.meta.url), runFixture);
