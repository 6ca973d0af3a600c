import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { Linear, linear } from './linear';

for (const backend of testBackends()) {
  describe(`Linear [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test('y = x·W + b on rank-3 input, gradients in x, W, b, no leaks', async () => {
      const rng = new Rng('lin');
      const lin = new Linear(4, 3, { rng });
      const x = rng.normalTensor([2, 5, 4]);
      tf.tidy(() => {
        const y = lin.forward(x);
        expect(y.shape).toEqual([2, 5, 3]);
        const xv = x.arraySync() as number[][][];
        const w = lin.weight.variable.arraySync() as number[][];
        const b = lin.bias!.variable.arraySync() as number[];
        const yv = y.arraySync() as number[][][];
        for (let o = 0; o < 3; o++) expect(yv[1]![2]![o]).toBeCloseTo(b[o]! + xv[1]![2]!.reduce((acc, v, i) => acc + v * w[i]![o]!, 0), 5);
      });
      const probe = rng.normalTensor([2, 5, 3]);
      const [w0, b0] = [tf.clone(lin.weight.variable), tf.clone(lin.bias!.variable)];
      await gradCheck((xx, ww, bb) => tf.sum(tf.mul(linear(xx!, ww!, bb!), probe)) as tf.Scalar, [x, w0, b0]);
      tf.dispose([w0, b0]);
      await expectNoLeaks(() => tf.variableGrads(() => tf.sum(lin.forward(x)) as tf.Scalar), { disposeResult: true });
      tf.dispose([x, probe]);
      lin.dispose();
    });
  });
}

describe('Linear init and validation', () => {
  beforeAll(() => useBackend('cpu'));
  test('weight [in, out] and bias [out] ~ U(±1/√in), as PyTorch', () => {
    const lin = new Linear(64, 10, { rng: new Rng(0) });
    expect(lin.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight', [64, 10]],
      ['bias', [10]],
    ]);
    for (const t of [lin.weight.variable, lin.bias!.variable]) expect(Math.max(...Array.from(t.dataSync(), Math.abs))).toBeLessThanOrEqual(1 / 8);
    expect(new Linear(2, 2, { bias: false }).bias).toBeNull();
    lin.dispose();
  });
  test('bad input names the argument', () => {
    const lin = new Linear(4, 3);
    expect(() => lin.forward(tf.zeros([2, 5]))).toThrow(/linear: x must have last dimension 4, got shape \[2,5\]/);
    expect(() => new Linear(0, 3)).toThrow(/inFeatures must be a positive integer, got 0/);
    lin.dispose();
  });
});
