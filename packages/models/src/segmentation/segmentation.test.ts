import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, crossEntropy, useBackend } from '@lel/core';
import { expectNoLeaks } from '@lel/core/testing';
import { beforeAll, describe, expect, test } from 'vitest';
import { adaptiveAvgPool2d } from './adaptive-avg-pool';
import { CctDecoder, icnrKernel } from './decoder';
import { SegEncoder } from './encoder';
import { SegmentationModel } from './segmentation-model';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('adaptiveAvgPool2d', () => {
  test("matches PyTorch's overlapping windows (5 → 3: [0,2), [1,4), [3,5))", async () => {
    const x = tf.tensor4d(Array.from({ length: 25 }, (_, i) => i), [1, 5, 5, 1]);
    await expectNoLeaks(() => tf.dispose(adaptiveAvgPool2d(x, 3)));
    const y = adaptiveAvgPool2d(x, 3);
    const rowWin = [[0, 2], [1, 4], [3, 5]] as const;
    const expected: number[] = [];
    for (const [r0, r1] of rowWin) {
      for (const [c0, c1] of rowWin) {
        let s = 0;
        for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) s += r * 5 + c;
        expected.push(s / ((r1 - r0) * (c1 - c0)));
      }
    }
    const got = Array.from(y.dataSync());
    expected.forEach((e, i) => expect(got[i]).toBeCloseTo(e, 5));
    expect(y.shape).toEqual([1, 3, 3, 1]);
    tf.dispose([x, y]);
  });
});

describe('CCT decoder', () => {
  test('ICNR: the 4 sub-pixel output channels of each class share one sub-kernel', () => {
    const k = icnrKernel(6, 12, 2, new Rng(0));
    const v = k.arraySync()[0]![0]!;
    for (let i = 0; i < 6; i++) for (let o = 0; o < 12; o++) expect(v[i]![o]).toBe(v[i]![Math.floor(o / 4) * 4]);
    expect(v[0]![0]).not.toBe(v[0]![4]);
    k.dispose();
  });

  test('×8 upsampling with CCT names, non-negative logits', () => {
    const d = new CctDecoder(8, 5);
    expect(d.namedParameters().map(([n]) => n)).toEqual([
      'upsample.0.weight',
      'upsample.1.conv.weight',
      'upsample.1.conv.bias',
      'upsample.2.conv.weight',
      'upsample.2.conv.bias',
      'upsample.3.conv.weight',
      'upsample.3.conv.bias',
    ]);
    const x = tf.randomNormal([2, 3, 4, 8]);
    const y = d.forward(x);
    expect(y.shape).toEqual([2, 24, 32, 5]);
    const min = tf.min(y);
    expect(min.dataSync()[0]).toBeGreaterThanOrEqual(0);
    tf.dispose([x, y, min]);
    d.dispose();
  });
});

describe('SegEncoder / SegmentationModel', () => {
  test('output stride 8 with PSP channels, dilated or not', () => {
    for (const dilated of [true, false]) {
      const e = new SegEncoder({ stemChannels: [4, 4, 8], block: 'basic', widths: [8, 8, 16, 16], depths: [1, 1, 1, 1], dilated }).eval();
      expect(e.outChannels).toBe(4);
      const x = tf.randomNormal([1, 40, 48, 3]);
      const y = e.forward(x);
      expect(y.shape).toEqual([1, 5, 6, 4]);
      tf.dispose([x, y]);
      e.dispose();
    }
    const bott = new SegEncoder({ stemChannels: [4, 4, 8], block: 'bottleneck', widths: [2, 2, 4, 4], depths: [1, 2, 1, 1] });
    expect(bott.backboneChannels).toBe(16);
    expect(bott.outChannels).toBe(4);
    expect(bott.namedParameters().some(([n]) => n === 'base.2.1.conv3.weight')).toBe(true);
    bott.dispose();
  });

  test('tiny model: logits at input resolution, gradients reach every parameter, no leaks', async () => {
    const m = new SegmentationModel({ numClasses: 3, rng: new Rng(1) });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 2);
    const labels = tf.randomUniformInt([2, 32, 32], 0, 3, 3);
    const params = m.trainableParameters();
    await expectNoLeaks(() => {
      const { value, grads } = tf.variableGrads(() => crossEntropy(m.forward(x), labels) as tf.Scalar, params.map(([, p]) => p.variable));
      expect(Number.isFinite(value.dataSync()[0])).toBe(true);
      const norms = tf.tidy(() => params.map(([, p]) => tf.sum(tf.abs(grads[p.variable.name]!))));
      params.forEach(([name], i) => expect(norms[i]!.dataSync()[0], name).toBeGreaterThan(0));
      tf.dispose([value, grads as never, norms]);
    });
    m.eval();
    await expectNoLeaks(() => tf.dispose(m.forward(x)));
    const y = m.forward(x);
    expect(y.shape).toEqual([2, 32, 32, 3]);
    const bad = tf.zeros([1, 30, 32, 3]);
    expect(() => m.forward(bad)).toThrow(/multiples of 8/);
    tf.dispose([x, labels, y, bad]);
    m.dispose();
  });
});
