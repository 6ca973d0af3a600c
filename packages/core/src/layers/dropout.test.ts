import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Module } from '../module/module';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { expectNoLeaks } from '../testing/leaks';
import { Dropout, Dropout2d, dropout } from './dropout';

for (const backend of testBackends()) {
  describe(`Dropout [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('element dropout: seeded masks, survivors ×1/(1−p), gradient = mask; identity in eval', async () => {
      const x = tf.ones([40, 50]);
      const d = new Dropout(0.25, new Rng('d'));
      const y = d.forward(x);
      const v = Array.from(y.dataSync());
      expect(new Set(v)).toEqual(new Set([0, Math.fround(1 / 0.75)]));
      const kept = v.filter((a) => a > 0).length / v.length;
      expect(kept).toBeGreaterThan(0.7);
      expect(kept).toBeLessThan(0.8);
      // Same seed, same mask on any backend (drawn on the JS side).
      const again = dropout(x, 0.25, new Rng('d'));
      expect(Array.from(again.dataSync())).toEqual(v);
      const g = tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.25, new Rng('d'))))(x);
      expect(Array.from(g.dataSync())).toEqual(v);
      d.eval();
      expect(d.forward(x)).toBe(x);
      await expectNoLeaks(() => dropout(x, 0.5), { disposeResult: true });
      tf.dispose([x, y, again, g]);
    });

    test('Dropout2d zeroes whole channels per (n, c) on NHWC', () => {
      tf.tidy(() => {
        const x = tf.ones([4, 3, 3, 16]);
        const y = new Dropout2d(0.5, new Rng('d2')).forward(x).arraySync() as number[][][][];
        let dropped = 0;
        for (let n = 0; n < 4; n++)
          for (let c = 0; c < 16; c++) {
            const vals = new Set<number>();
            for (let h = 0; h < 3; h++) for (let w = 0; w < 3; w++) vals.add(y[n]![h]![w]![c]!);
            expect(vals.size).toBe(1);
            const only = [...vals][0]!;
            expect([0, 2]).toContain(only);
            if (only === 0) dropped++;
          }
        expect(dropped).toBeGreaterThan(10);
        expect(dropped).toBeLessThan(54);
      });
    });
  });
}

describe('Dropout validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('p outside [0, 1) and non-NHWC input are rejected', () => {
    expect(() => new Dropout(1)).toThrow(/Dropout: p must be in \[0, 1\), got 1/);
    expect(() => new Dropout2d(-0.1)).toThrow(/p must be in \[0, 1\), got -0.1/);
    expect(() => new Dropout2d(0.5).forward(tf.zeros([2, 3]))).toThrow(/dropout2d: x must have rank 4 \(NHWC\)/);
  });
});

describe('Dropout generator state', () => {
  beforeAll(() => useBackend('cpu'));

  test('an own generator is module state (registered as `rng`): save → load of the extra state replays the masks', () => {
    const cases = [
      { make: (rng: Rng) => new Dropout(0.4, rng), x: () => tf.ones([6, 7]) },
      { make: (rng: Rng) => new Dropout2d(0.4, rng), x: () => tf.ones([3, 2, 2, 5]) },
    ];
    for (const { make, x: input } of cases) {
      const x = input();
      const masks = (m: Dropout | Dropout2d, n: number) => Array.from({ length: n }, () => tf.tidy(() => Array.from(m.forward(x).dataSync())));
      const a = make(new Rng('a'));
      masks(a, 2);
      const saved = JSON.parse(JSON.stringify(a.extraStateDict())) as ReturnType<Dropout['extraStateDict']>;
      expect(Object.keys(saved.generators)).toEqual(['rng']);
      expect(saved.modules).toEqual({});
      const expected = masks(a, 3); // what the uninterrupted run draws next

      const b = make(new Rng('b'));
      expect(masks(b, 1)[0]).not.toEqual(expected[0]);
      expect(b.loadExtraStateDict(saved)).toEqual([]);
      expect(masks(b, 3)).toEqual(expected);
      tf.dispose(x);
    }
  });

  test('inside a model the generator has a dotted name; without an own generator (global masks) or with p = 0 none is registered', () => {
    class Net extends Module {
      readonly drop = this.registerModule('drop', new Dropout(0.1, new Rng(1)));
      readonly drop2d = this.registerModule('drop2d', new Dropout2d(0.1, new Rng(2)));
      readonly global = this.registerModule('global', new Dropout(0.1));
      readonly off = this.registerModule('off', new Dropout(0, new Rng(3)));
    }
    const net = new Net();
    expect(net.namedGenerators().map(([n]) => n)).toEqual(['drop.rng', 'drop2d.rng']);
    expect(net.drop.rng).toBe(net.namedGenerators()[0]![1]);
    net.dispose();
  });
});
