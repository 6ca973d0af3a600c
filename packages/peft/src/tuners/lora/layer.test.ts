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

  test('the dropout generator is module state per adapter (`lora_rng_<adapter>`): restoring it replays the masks', () => {
    const make = (seed: string) => {
      const layer = new LoraLinear(new Linear(6, 3, { rng: new Rng(1) }));
      layer.addAdapter('drop', { r: 2, alpha: 2, dropout: 0.5, useRslora: false, init: 'gaussian', rng: new Rng(seed) });
      layer.addAdapter('nodrop', { r: 2, alpha: 2, dropout: 0, useRslora: false, init: true, rng: new Rng(seed) });
      layer.activeAdapter = 'drop';
      return layer;
    };
    const x = new Rng('x').normalTensor([4, 6]);
    const outs = (m: LoraLinear, n: number) => Array.from({ length: n }, () => tf.tidy(() => Array.from(m.forward(x).dataSync())));
    const a = make('a');
    tf.tidy(() => a.adapterParameters('drop')[1]![1].assign(new Rng('B').normalTensor([2, 3])));
    outs(a, 2);
    // Only the adapter with dropout draws while running: the other's generator only initialised A.
    expect(a.namedGenerators().map(([n]) => n)).toEqual(['lora_rng_drop']);
    const saved = JSON.parse(JSON.stringify(a.extraStateDict())) as ReturnType<LoraLinear['extraStateDict']>;
    const expected = outs(a, 3);

    const b = make('b');
    b.loadStateDict(a.stateDict());
    expect(outs(b, 1)[0]).not.toEqual(expected[0]);
    expect(b.loadExtraStateDict(saved)).toEqual([]);
    expect(outs(b, 3)).toEqual(expected);
    // Deleting the adapter unregisters its generator; adding it again registers it again.
    b.deleteAdapter('drop');
    expect(b.namedGenerators()).toEqual([]);
    b.addAdapter('drop', { r: 2, alpha: 2, dropout: 0.1, useRslora: false, init: true, rng: new Rng(0) });
    expect(b.namedGenerators().map(([n]) => n)).toEqual(['lora_rng_drop']);
    tf.dispose(x);
    a.dispose();
    b.dispose();
  });
});
