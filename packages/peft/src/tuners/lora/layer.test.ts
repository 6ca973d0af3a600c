import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { Linear, Rng, useBackend, type Parameter } from '@lel/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { LoraLinear, loraScaling } from './layer';

describe('LoRA layer', () => {
  beforeAll(async () => {
    await useBackend('wasm');
  });

  test('scaling α/r or α/√r; bad rank refused', () => {
    expect(loraScaling(4, 8)).toBe(2);
    expect(loraScaling(4, 8, true)).toBe(4);
    expect(() => loraScaling(0, 8)).toThrow(/r must be a positive integer/);
  });

  test('B starts at zero; gaussian A has std ≈ 1/r; dropout only in training mode', () => {
    const rng = new Rng(0);
    const layer = new LoraLinear(new Linear(64, 8, { rng }));
    layer.addAdapter('g', { r: 4, alpha: 8, dropout: 0.5, useRslora: false, init: 'gaussian', rng });
    layer.activeAdapter = 'g';
    const [a, b] = layer.adapterParameters('g').map(([, p]) => p) as [Parameter, Parameter];
    expect(tf.max(tf.abs(b.variable)).dataSync()[0]).toBe(0);
    const std = tf.tidy(() => tf.sqrt(tf.mean(tf.square(a.variable))).dataSync()[0]!);
    expect(std).toBeGreaterThan(0.2);
    expect(std).toBeLessThan(0.3);
    b.assign(rng.normalTensor([4, 8]));
    const x = rng.normalTensor([5, 64]);
    layer.eval();
    const e1 = layer.forward(x);
    const e2 = layer.forward(x);
    expect(Array.from(e1.dataSync())).toEqual(Array.from(e2.dataSync()));
    layer.train();
    const t1 = layer.forward(x);
    const t2 = layer.forward(x);
    expect(Array.from(t1.dataSync())).not.toEqual(Array.from(t2.dataSync()));
    tf.dispose([x, e1, e2, t1, t2]);
    layer.dispose();
  });
});
