import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend, type BackendName } from '../backend';
import { IM2COL_T } from '../kernels/im2col';
import { Rng } from '../random/rng';
import { testBackends } from '../testing/backends';
import { gradCheck } from '../testing/gradcheck';
import { expectNoLeaks } from '../testing/leaks';
import { Conv2d, conv2d, type Conv2dOptions } from './conv';

/** Direct (loop) NHWC cross-correlation with PyTorch's padding semantics: the reference. */
function naiveConv(x: tf.Tensor, w: tf.Tensor, b: number[] | null, s: number, p: [number, number, number, number], d: number, groups: number): { data: number[]; shape: number[] } {
  const [n, h, wd, ci] = x.shape as number[];
  const [kh, kw, cig, co] = w.shape as number[];
  const xv = x.dataSync();
  const wv = w.dataSync();
  const [pt, pb, pl, pr] = p;
  const ho = Math.floor((h! + pt + pb - d * (kh! - 1) - 1) / s) + 1;
  const wo = Math.floor((wd! + pl + pr - d * (kw! - 1) - 1) / s) + 1;
  const cog = co! / groups;
  const out: number[] = [];
  for (let ni = 0; ni < n!; ni++)
    for (let i = 0; i < ho; i++)
      for (let j = 0; j < wo; j++)
        for (let o = 0; o < co!; o++) {
          const g = Math.floor(o / cog);
          let acc = b ? b[o]! : 0;
          for (let a = 0; a < kh!; a++)
            for (let c = 0; c < kw!; c++) {
              const yi = i * s + a * d - pt;
              const xj = j * s + c * d - pl;
              if (yi < 0 || yi >= h! || xj < 0 || xj >= wd!) continue;
              for (let q = 0; q < cig!; q++) {
                const cin = g * cig! + q;
                acc += xv[((ni * h! + yi) * wd! + xj) * ci! + cin]! * wv[((a * kw! + c) * cig! + q) * co! + o]!;
              }
            }
          out.push(acc);
        }
  return { data: out, shape: [n!, ho, wo, co!] };
}

const cases: { name: string; x: number[]; w: number[]; opts: Conv2dOptions; pad: [number, number, number, number] }[] = [
  { name: 'k3 pad1', x: [2, 5, 6, 3], w: [3, 3, 3, 4], opts: { padding: 1 }, pad: [1, 1, 1, 1] },
  { name: 'k3 stride2 pad1', x: [1, 7, 6, 2], w: [3, 3, 2, 3], opts: { stride: 2, padding: 1 }, pad: [1, 1, 1, 1] },
  { name: 'k3 dilation2 same', x: [1, 7, 7, 2], w: [3, 3, 2, 2], opts: { dilation: 2, padding: 'same' }, pad: [2, 2, 2, 2] },
  { name: 'k2 same (odd pixel bottom/right)', x: [1, 5, 4, 2], w: [2, 2, 2, 2], opts: { padding: 'same' }, pad: [0, 1, 0, 1] },
  { name: 'groups 2 stride 2', x: [2, 6, 6, 4], w: [3, 3, 2, 6], opts: { groups: 2, stride: 2 }, pad: [0, 0, 0, 0] },
  { name: 'stride 2 + dilation 2', x: [1, 9, 9, 2], w: [3, 3, 2, 2], opts: { stride: 2, dilation: 2, padding: 2 }, pad: [2, 2, 2, 2] },
  { name: 'depthwise groups=channels', x: [1, 5, 5, 3], w: [3, 3, 1, 3], opts: { groups: 3, padding: 1 }, pad: [1, 1, 1, 1] },
];

/** Finite-difference check of conv2d's gradients (x, w, b) on random inputs for case `c`. */
async function checkGrads(rng: Rng, c: (typeof cases)[number]): Promise<void> {
  const x = rng.normalTensor(c.x);
  const w = rng.normalTensor(c.w, 0, 0.5);
  const b = rng.normalTensor([c.w[3]!]);
  const probe = tf.tidy(() => rng.normalTensor(conv2d(x, w, b, c.opts).shape));
  try {
    await gradCheck((xx, ww, bb) => tf.sum(tf.mul(conv2d(xx!, ww!, bb!, c.opts), probe)) as tf.Scalar, [x, w, b], { maxElements: 12 });
  } finally {
    tf.dispose([x, w, b, probe]);
  }
}

for (const backend of testBackends()) {
  describe(`conv2d [${backend}]`, () => {
    beforeAll(() => useBackend(backend as BackendName));

    test.each(cases)('forward matches a direct loop: $name', (c) => {
      const rng = new Rng(`conv-${c.name}`);
      tf.tidy(() => {
        const x = rng.normalTensor(c.x);
        const w = rng.normalTensor(c.w);
        const bias = Array.from(rng.normalArray(c.w[3]!));
        const y = conv2d(x, w, tf.tensor1d(bias), c.opts);
        const ref = naiveConv(x, w, bias, typeof c.opts.stride === 'number' ? c.opts.stride : 1, c.pad, typeof c.opts.dilation === 'number' ? c.opts.dilation : 1, c.opts.groups ?? 1);
        expect(y.shape).toEqual(ref.shape);
        const got = y.dataSync();
        ref.data.forEach((v, i) => expect(got[i]).toBeCloseTo(v, 4));
      });
    });

    test.each(cases.filter((c) => c.name !== 'k3 pad1'))('gradients (x, w, b) match finite differences: $name', async (c) => {
      await checkGrads(new Rng(`convgrad-${c.name}`), c);
    });

    test('without LEL im2col kernel (as on tfjs-node) dilated convs keep the layer gradient', async () => {
      const im2col = tf.getKernel(IM2COL_T, backend)!;
      expect(im2col).toBeDefined();
      tf.unregisterKernel(IM2COL_T, backend);
      try {
        const rng = new Rng('conv-no-im2col');
        tf.tidy(() => {
          const x = rng.normalTensor([1, 7, 7, 2]);
          const w = rng.normalTensor([3, 3, 2, 2], 0, 0.5);
          // The registered Conv2D gradient needs the kernel for dilation > 1 …
          expect(() => tf.grad((ww: tf.Tensor) => tf.sum(tf.conv2d(x as tf.Tensor4D, ww as tf.Tensor4D, 1, 'valid', 'NHWC', 2)))(w)).toThrow(/LelIm2ColT/);
        });
        // … so the layer's own gradient must take over (stride 1 and stride 2).
        for (const c of cases.filter((k) => k.opts.dilation === 2)) {
          await checkGrads(rng, c);
        }
      } finally {
        tf.registerKernel(im2col);
      }
    });

    test('Conv2d trains (loss decreases) and leaks nothing', async () => {
      const rng = new Rng(1);
      const conv = new Conv2d(2, 3, 3, { stride: 2, padding: 1, rng });
      const x = rng.normalTensor([2, 6, 6, 2]);
      const target = rng.normalTensor([2, 3, 3, 3]);
      const loss = () => tf.mean(tf.squaredDifference(conv.forward(x), target)) as tf.Scalar;
      const first = tf.tidy(() => loss().dataSync()[0]!);
      await expectNoLeaks(() => {
        for (let i = 0; i < 5; i++) {
          tf.tidy(() => {
            const { grads } = tf.variableGrads(loss, conv.trainableParameters().map(([, p]) => p.variable));
            for (const [, p] of conv.trainableParameters()) p.variable.assign(tf.sub(p.variable, tf.mul(grads[p.variable.name]!, 0.1)));
          });
        }
      });
      expect(tf.tidy(() => loss().dataSync()[0]!)).toBeLessThan(first);
      tf.dispose([x, target]);
      conv.dispose();
    });
  });
}

describe('Conv2d / conv2d validation and init', () => {
  beforeAll(() => useBackend('cpu'));

  test('parameters are named weight [kh, kw, in/groups, out] and bias [out], init U(±1/√fanIn)', () => {
    const conv = new Conv2d(4, 6, [3, 5], { groups: 2, rng: new Rng(0) });
    expect(conv.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([
      ['weight', [3, 5, 2, 6]],
      ['bias', [6]],
    ]);
    const bound = 1 / Math.sqrt(2 * 3 * 5);
    const w = conv.weight.variable.dataSync();
    expect(Math.max(...Array.from(w, Math.abs))).toBeLessThanOrEqual(bound);
    expect(Math.max(...Array.from(w, Math.abs))).toBeGreaterThan(0.8 * bound);
    expect(new Conv2d(2, 2, 1, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
    conv.dispose();
  });

  test('bad input names the argument and the shapes', () => {
    const x = tf.zeros([1, 4, 4, 3]);
    expect(() => conv2d(tf.zeros([4, 4, 3]), tf.zeros([3, 3, 3, 2]))).toThrow(/conv2d: x must have rank 4 \(NHWC\), got shape \[4,4,3\]/);
    expect(() => conv2d(x, tf.zeros([3, 3, 2, 2]))).toThrow(/weight has 2 input channels per group but x has 3/);
    expect(() => conv2d(x, tf.zeros([3, 3, 3, 2]), tf.zeros([3]))).toThrow(/bias must be \[2\], got shape \[3\]/);
    expect(() => conv2d(x, tf.zeros([3, 3, 3, 2]), null, { groups: 2 })).toThrow(/divisible by groups/);
    expect(() => conv2d(x, tf.zeros([5, 5, 3, 2]))).toThrow(/smaller than the dilated kernel/);
    expect(() => conv2d(x, tf.zeros([3, 3, 3, 2]), null, { stride: 0 })).toThrow(/stride must be a positive integer, got 0/);
    expect(() => new Conv2d(3, 4, 3, { groups: 2 })).toThrow(/divisible by groups/);
    expect(() => new Conv2d(3, 4, 3, { padding: 'full' as never })).toThrow(/padding must be a number, \[ph, pw\], 'same' or 'valid', got "full"/);
    const valid = new Conv2d(3, 2, 3, { padding: 'valid' });
    expect(valid.forward(x).shape).toEqual([1, 2, 2, 2]);
    valid.dispose();
    tf.dispose(x);
  });
});
