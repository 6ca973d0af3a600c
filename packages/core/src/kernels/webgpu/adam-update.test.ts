import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { Parameter } from '../../module/parameter';
import { Adam } from '../../optim/adam';
import { AdamW } from '../../optim/adamw';
import { expectNoLeaks } from '../../testing/leaks';
import { randn } from '../test-util.fixture';
import { ADAM_UPDATE_GROUP } from './adam-update';
import { describeWebGPU, onWebGPU, withStockWebGPU } from './test-util.fixture';

const SHAPES = [[37], [5, 4], [3000], [7], [2, 3, 4], [1]];

/** Three steps over six parameters (one frozen from step 2 on); final parameters and every slot. */
async function run(make: (p: [string, Parameter][]) => Adam): Promise<number[][]> {
  const params: [string, Parameter][] = SHAPES.map((s, i) => {
    const t = randn(s, i + 1);
    const p = new Parameter(t);
    t.dispose();
    return [`p${i}`, p];
  });
  const opt = make(params);
  for (let s = 0; s < 3; s++) {
    // A parameter without gradient in one step gets its own step count (and bias correction) afterwards.
    const grads = new Map(params.filter((_, i) => !(s === 1 && i === 2)).map(([n, p], i) => [n, randn(p.shape, 100 + 10 * s + i)] as [string, tf.Tensor]));
    opt.step(grads);
    tf.dispose([...grads.values()]);
  }
  const out: number[][] = [];
  for (const [, p] of params) out.push(Array.from(await p.variable.data()));
  for (const t of opt.stateDict().values()) if (t.dtype === 'float32') out.push(Array.from(await t.data()));
  params.forEach(([, p]) => p.dispose());
  opt.dispose();
  return out;
}

const makers: [string, (p: [string, Parameter][]) => Adam][] = [
  ['Adam', (p) => new Adam(p, { lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6 })],
  ['Adam + L2', (p) => new Adam(p, { lr: 0.003, weightDecay: 0.1 })],
  ['AdamW, two groups', (p) => new AdamW([{ params: p.slice(0, 3) }, { params: p.slice(3), lrScale: 0.5, weightDecay: 0 }], { lr: 0.02 })],
];

describeWebGPU('fused Adam/AdamW group update', () => {
  test.each(makers)('%s: bit-identical to the op-by-op update on webgpu, no leaks', async (_name, make) => {
    await onWebGPU();
    const fused = await run(make);
    const plain = await withStockWebGPU(() => run(make));
    expect(fused.length).toBe(plain.length);
    fused.forEach((arr, k) => expect(arr, `array ${k}`).toEqual(plain[k]));
    await expectNoLeaks(() => run(make));
  });

  test('one kernel call per step for every parameter (first step and later ones)', async () => {
    await onWebGPU();
    const params: [string, Parameter][] = SHAPES.map((s, i) => [`p${i}`, new Parameter(tf.zeros(s))]);
    const opt = new AdamW(params, { lr: 0.1 });
    for (let s = 0; s < 2; s++) {
      const grads = new Map(params.map(([n, p]) => [n, tf.ones(p.shape)] as [string, tf.Tensor]));
      const info = await tf.profile(() => opt.step(grads));
      expect(info.kernels.filter((k) => k.name === ADAM_UPDATE_GROUP).length, `step ${s}`).toBe(1);
      expect(info.kernelNames).not.toContain('Sqrt');
      tf.dispose([...grads.values()]);
    }
    opt.dispose();
    params.forEach(([, p]) => p.dispose());
  });
});
