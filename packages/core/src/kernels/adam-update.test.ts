import * as tf from '@tensorflow/tfjs-core';
import { expect, test } from 'vitest';
import { Parameter } from '../module/parameter';
import { Adam } from '../optim/adam';
import { AdamW } from '../optim/adamw';
import { expectNoLeaks } from '../testing/leaks';
import { ADAM_UPDATE } from './adam-update';
import { describeEachBackend, onBackend, randn } from './test-util.fixture';

/** Three Adam(W) steps on a 37-element and a 5×4 parameter; returns the final values of both and the slots. */
function run(make: (p: [string, Parameter][]) => Adam): number[][] {
  // Parameter keeps its initial tensor's data: dispose the initial tensor so only the variable counts.
  const param = (t: tf.Tensor) => {
    const p = new Parameter(t);
    t.dispose();
    return p;
  };
  const params: [string, Parameter][] = [
    ['a', param(randn([37], 1))],
    ['b', param(randn([5, 4], 2))],
  ];
  const opt = make(params);
  for (let s = 0; s < 3; s++) {
    const grads = new Map(params.map(([n, p], i) => [n, randn(p.shape, 100 + 10 * s + i)] as [string, tf.Tensor]));
    opt.step(grads);
    tf.dispose([...grads.values()]);
  }
  const out = params.map(([, p]) => Array.from(p.variable.dataSync()));
  for (const t of opt.stateDict().values()) if (t.dtype === 'float32') out.push(Array.from(t.dataSync()));
  params.forEach(([, p]) => p.dispose());
  opt.dispose?.();
  return out;
}

describeEachBackend('fused Adam update', (backend) => {
  test.each([
    ['Adam', (p: [string, Parameter][]) => new Adam(p, { lr: 0.01, beta1: 0.8, beta2: 0.95, eps: 1e-6 })],
    ['Adam + L2', (p: [string, Parameter][]) => new Adam(p, { lr: 0.003, weightDecay: 0.1 })],
    ['AdamW', (p: [string, Parameter][]) => new AdamW(p, { lr: 0.02 })],
  ] as [string, (p: [string, Parameter][]) => Adam][])('%s: bit-identical to the unfused tfjs ops, no leaks', async (_name, make) => {
    await onBackend(backend);
    expect(tf.getKernel(ADAM_UPDATE, backend)).toBeDefined();
    const fused = run(make);
    const cfg = tf.getKernel(ADAM_UPDATE, backend)!;
    tf.unregisterKernel(ADAM_UPDATE, backend);
    try {
      const plain = run(make);
      plain.forEach((arr, k) => expect(arr, `array ${k} (${arr.length})`).toEqual(fused[k]));
    } finally {
      tf.registerKernel(cfg);
    }
    await expectNoLeaks(() => {
      run(make);
    });
  });
});
