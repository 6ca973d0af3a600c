import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { Adam, Conv2d, GlobalAvgPool2d, Linear, Module, Rng, useBackend, type DataSource } from '@lel/core';
import { BertForSequenceClassification } from '@lel/models';
import { distill } from './recipe';
import { frozenTeacher } from './teacher';

beforeAll(async () => {
  await useBackend('cpu');
});

function params(m: Module): number[][] {
  return m.namedParameters().map(([, p]) => Array.from(p.variable.dataSync()));
}

/** conv → ReLU → global average pool → linear: image classifiers of two widths. */
class TinyCnn extends Module {
  readonly conv: Conv2d;
  readonly pool = new GlobalAvgPool2d();
  readonly head: Linear;
  constructor(width: number, seed: number) {
    super();
    const rng = new Rng(seed);
    this.conv = this.registerModule('conv', new Conv2d(1, width, 3, { padding: 'same', rng }));
    this.head = this.registerModule('head', new Linear(width, 3, { rng }));
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.head.forward(this.pool.forward(tf.relu(this.conv.forward(x)))));
  }
}

describe('distill recipe with real model families', () => {
  test('image classifiers: a wide CNN teacher distils into a narrow CNN student (Continuation-KD)', async () => {
    type B = { x: tf.Tensor4D; y: tf.Tensor1D };
    const data: DataSource<B> = (_e, rng) =>
      [0, 1].map(() => ({ x: tf.tensor4d(Float32Array.from({ length: 4 * 6 * 6 }, () => rng.next()), [4, 6, 6, 1]), y: tf.tensor1d([0, 1, 2, 1], 'int32') }));
    const teacherModel = new TinyCnn(16, 1);
    const student = new TinyCnn(2, 2);
    const frozen = params(teacherModel);
    const before = params(student);
    const r = await distill({
      student,
      teacher: frozenTeacher(teacherModel, (m, b: B) => m.forward(b.x)),
      method: { method: 'continuation-kd', tMax: 2, psi: { kind: 'linear', rampEpochs: 3 } },
      studentLogits: (m, b) => (m as TinyCnn).forward(b.x),
      labels: (b) => b.y,
      epochs: 3,
      optimizer: new Adam(student.trainableParameters(), { lr: 0.01 }),
      data: { labeled: data },
      progress: 'none',
    });
    expect(r.steps).toBe(6);
    expect(params(teacherModel)).toEqual(frozen);
    expect(params(student)).not.toEqual(before);
    teacherModel.dispose();
    student.dispose();
  });

  test('BERT family: a 2-layer BERT teacher distils into a 1-layer, narrower BERT student (KD)', async () => {
    type B = { ids: tf.Tensor2D; mask: tf.Tensor2D; y: tf.Tensor1D };
    const common = { vocabSize: 30, maxPositionEmbeddings: 16, hiddenDropoutProb: 0, attentionProbsDropoutProb: 0 };
    const teacherModel = new BertForSequenceClassification({ ...common, hiddenSize: 32, numHiddenLayers: 2, numAttentionHeads: 4, intermediateSize: 64 }, { numLabels: 2, rng: new Rng(1) });
    const student = new BertForSequenceClassification({ ...common, hiddenSize: 16, numHiddenLayers: 1, numAttentionHeads: 2, intermediateSize: 32 }, { numLabels: 2, rng: new Rng(2) });
    const data: DataSource<B> = (_e, rng) =>
      [0, 1].map(() => ({
        ids: tf.tensor2d(Int32Array.from({ length: 3 * 8 }, () => 1 + rng.int(29)), [3, 8], 'int32'),
        mask: tf.tensor2d(Int32Array.from({ length: 3 * 8 }, (_, i) => (i % 8 < 6 ? 1 : 0)), [3, 8], 'int32'),
        y: tf.tensor1d([0, 1, 1], 'int32'),
      }));
    const bertLogits = (m: Module, b: B) => (m as BertForSequenceClassification).forward({ inputIds: b.ids, attentionMask: b.mask }).logits;
    const frozen = params(teacherModel);
    const before = params(student);
    const r = await distill({
      student,
      teacher: frozenTeacher(teacherModel, bertLogits),
      method: { method: 'kd', alpha: 0.5, temperature: 2 },
      studentLogits: bertLogits,
      labels: (b) => b.y,
      epochs: 2,
      optimizer: new Adam(student.trainableParameters(), { lr: 1e-3 }),
      data: { labeled: data },
      progress: 'none',
    });
    expect(r.steps).toBe(4);
    expect(r.history.find((h) => h.type === 'train')).toMatchObject({ hard: expect.any(Number), soft: expect.any(Number) });
    expect(params(teacherModel)).toEqual(frozen);
    expect(params(student)).not.toEqual(before);
    teacherModel.dispose();
    student.dispose();
  });
});
