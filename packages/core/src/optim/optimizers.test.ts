import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, test } from 'vitest';
import seedrandom from 'seedrandom';
import { useBackend } from '../backend';
import { Parameter } from '../module/parameter';
import { expectFlatMemory, expectNoLeaks } from '../testing/leaks';
import { testBackends } from '../testing/backends';
import { Adam } from './adam';
import { AdamW } from './adamw';
import type { NamedParameter, Optimizer, ParamGroup } from './optimizer';
import { SGD } from './sgd';

const rng = seedrandom('optim');
const randn = (n: number) => Array.from({ length: n }, () => rng() * 2 - 1);

function makeParams(): NamedParameter[] {
  const mk = (shape: number[]) => {
    const t = tf.tensor(randn(shape.reduce((a, b) => a * b, 1)), shape);
    const p = new Parameter(t);
    t.dispose();
    return p;
  };
  return [
    ['encoder.weight', mk([3, 2])],
    ['encoder.bias', mk([2])],
    ['head.weight', mk([2, 2])],
  ];
}

const values = (params: NamedParameter[]) => params.map(([, p]) => Array.from(p.variable.dataSync()));
const disposeAll = (params: NamedParameter[]) => params.forEach(([, p]) => p.dispose());

// Float64 reference of the PyTorch update rules, per parameter.
interface RefConfig {
  kind: 'sgd' | 'adam' | 'adamw';
  lr: number;
  wd: number;
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
  beta1?: number;
  beta2?: number;
  eps?: number;
}
class Reference {
  private state = new Map<string, { buf?: number[]; m?: number[]; v?: number[]; t: number }>();
  constructor(private readonly c: RefConfig) {}
  step(name: string, p: number[], g0: number[], lrScale = 1, wd = this.c.wd): number[] {
    const c = this.c;
    const lr = c.lr * lrScale;
    const s = this.state.get(name) ?? { t: 0 };
    this.state.set(name, s);
    s.t++;
    if (c.kind === 'sgd') {
      let g = g0.map((x, i) => x + wd * p[i]!);
      if (c.momentum) {
        s.buf = s.buf ? s.buf.map((b, i) => c.momentum! * b + (1 - (c.dampening ?? 0)) * g[i]!) : g.slice();
        g = c.nesterov ? g.map((x, i) => x + c.momentum! * s.buf![i]!) : s.buf;
      }
      return p.map((x, i) => x - lr * g[i]!);
    }
    const b1 = c.beta1 ?? 0.9;
    const b2 = c.beta2 ?? 0.999;
    const eps = c.eps ?? 1e-8;
    let q = p;
    let g = g0;
    if (c.kind === 'adamw') q = p.map((x) => x * (1 - lr * wd));
    else g = g0.map((x, i) => x + wd * p[i]!);
    s.m = g.map((x, i) => b1 * (s.m?.[i] ?? 0) + (1 - b1) * x);
    s.v = g.map((x, i) => b2 * (s.v?.[i] ?? 0) + (1 - b2) * x * x);
    const stepSize = lr / (1 - b1 ** s.t);
    const bc2 = Math.sqrt(1 - b2 ** s.t);
    return q.map((x, i) => x - (stepSize * s.m![i]!) / (Math.sqrt(s.v![i]!) / bc2 + eps));
  }
}

type Make = (params: NamedParameter[] | ParamGroup[]) => Optimizer;
const configs: [string, RefConfig, Make][] = [
  ['SGD plain', { kind: 'sgd', lr: 0.1, wd: 0 }, (p) => new SGD(p, { lr: 0.1 })],
  ['SGD momentum+dampening+wd', { kind: 'sgd', lr: 0.05, wd: 0.01, momentum: 0.9, dampening: 0.1 }, (p) => new SGD(p, { lr: 0.05, momentum: 0.9, dampening: 0.1, weightDecay: 0.01 })],
  ['SGD nesterov', { kind: 'sgd', lr: 0.05, wd: 0.001, momentum: 0.8, nesterov: true }, (p) => new SGD(p, { lr: 0.05, momentum: 0.8, nesterov: true, weightDecay: 0.001 })],
  ['Adam coupled wd', { kind: 'adam', lr: 0.01, wd: 0.1, beta1: 0.8, beta2: 0.95, eps: 1e-6 }, (p) => new Adam(p, { lr: 0.01, weightDecay: 0.1, beta1: 0.8, beta2: 0.95, eps: 1e-6 })],
  ['AdamW default wd', { kind: 'adamw', lr: 0.01, wd: 0.01 }, (p) => new AdamW(p, { lr: 0.01 })],
];

describe.each(testBackends())('optimisers [%s]', (backend) => {
  beforeAll(() => useBackend(backend as never));

  test.each(configs)('%s follows the PyTorch update rule, with groups, frozen and missing gradients', (_n, cfg, make) => {
    const params = makeParams();
    const [enc, bias, head] = params as [NamedParameter, NamedParameter, NamedParameter];
    // Group 2 halves the rate and disables weight decay, as for biases.
    const opt = make([{ params: [enc, head] }, { params: [bias], lrScale: 0.5, weightDecay: 0 }]);
    const ref = new Reference(cfg);
    let expected = values(params);
    for (let s = 0; s < 4; s++) {
      head[1].trainable = s !== 1; // frozen at step 1: untouched, and its own step count does not advance
      const gradVals = params.map(([, p]) => randn(p.size));
      const grads = new Map(params.map(([n, p], i) => [n, tf.tensor(gradVals[i]!, p.shape)] as const));
      if (s === 2) grads.delete('encoder.bias'); // no gradient: skipped
      opt.step(grads);
      tf.dispose([...grads.values()]);
      expected = expected.map((p, i) => {
        const name = params[i]![0];
        if (!grads.has(name) || (name === 'head.weight' && s === 1)) return p;
        return name === 'encoder.bias' ? ref.step(name, p, gradVals[i]!, 0.5, 0) : ref.step(name, p, gradVals[i]!);
      });
      values(params).forEach((got, i) => got.forEach((x, k) => expect(x).toBeCloseTo(expected[i]![k]!, 5)));
    }
    expect(opt.stepCount).toBe(4);
    opt.dispose();
    disposeAll(params);
  });

  test.each(configs)('%s: steps leak nothing and state round-trips through stateDict', async (_n, _cfg, make) => {
    const params = makeParams();
    const opt = make(params);
    const grads = new Map(params.map(([n, p]) => [n, tf.randomNormal(p.shape, 0, 1, 'float32', 1)] as const));
    await expectFlatMemory(() => opt.step(grads), 6, 1);
    // Continue from a copy of the state in a fresh optimiser over copies of the parameters.
    const state = new Map([...opt.stateDict()].map(([k, t]) => [k, tf.clone(t)] as const));
    const copies: NamedParameter[] = params.map(([n, p]) => [n, new Parameter(p.variable)]);
    const restored = make(copies);
    await restored.loadStateDict(state);
    // Loading again replaces the slots: nothing accumulates.
    await expectNoLeaks(() => restored.loadStateDict(state));
    tf.dispose([...state.values()]);
    expect(restored.stepCount).toBe(6);
    expect([...restored.stateDict().keys()].sort()).toEqual([...opt.stateDict().keys()].sort());
    opt.step(grads);
    restored.step(grads);
    expect(values(copies)).toEqual(values(params));
    tf.dispose([...grads.values()]);
    opt.dispose();
    restored.dispose();
    disposeAll(params);
    disposeAll(copies);
  });
});

describe('optimiser state and options', () => {
  beforeAll(() => useBackend('cpu'));

  test('slot names are <slot>.<param name> plus step counters', () => {
    const params = makeParams().slice(0, 1);
    const grads = new Map([['encoder.weight', tf.ones([3, 2])]]);
    const adam = new AdamW(params, { lr: 0.1 });
    const sgd = new SGD(params, { lr: 0.1, momentum: 0.9 });
    adam.step(grads);
    sgd.step(grads);
    expect([...adam.stateDict().keys()].sort()).toEqual(['exp_avg.encoder.weight', 'exp_avg_sq.encoder.weight', 'step', 'step.encoder.weight']);
    expect([...sgd.stateDict().keys()].sort()).toEqual(['momentum_buffer.encoder.weight', 'step']);
    expect(adam.stateDict().get('step')!.dataSync()[0]).toBe(1);
    adam.dispose();
    sgd.dispose();
    tf.dispose([...grads.values()]);
    disposeAll(params);
  });

  test('loadStateDict lists every defect and changes nothing', async () => {
    const params = makeParams();
    const opt = new Adam(params, { lr: 0.1 });
    const bad = new Map<string, tf.Tensor>([
      ['exp_avg.encoder.weight', tf.zeros([2, 3])],
      ['exp_avg_sq.encoder.weight', tf.zeros([3, 2])],
      ['momentum_buffer.head.weight', tf.zeros([2, 2])],
      ['exp_avg.missing', tf.zeros([1])],
    ]);
    await expect(opt.loadStateDict(bad)).rejects.toThrow(
      /missing "step"[\s\S]*"exp_avg.encoder.weight" has shape \[2,3\], expected \[3,2\][\s\S]*unexpected "momentum_buffer.head.weight"[\s\S]*unexpected "exp_avg.missing"[\s\S]*parameter "encoder.weight" lacks "step.encoder.weight"/,
    );
    expect(opt.stateDict().size).toBe(1); // only the global step
    tf.dispose([...bad.values()]);
    opt.dispose();
    disposeAll(params);
  });

  test('bad options and gradients are rejected with the parameter named', () => {
    const params = makeParams();
    expect(() => new SGD(params, { lr: -1 })).toThrow(/SGD: learning rate must be >= 0/);
    expect(() => new SGD(params, { lr: 0.1, nesterov: true })).toThrow(/nesterov needs momentum > 0/);
    expect(() => new Adam(params, { lr: 0.1, beta1: 1 })).toThrow(/Adam: beta1 must be in \[0, 1\)/);
    expect(() => new SGD([...params, params[0]!], { lr: 0.1 })).toThrow(/"encoder.weight" appears twice/);
    const opt = new SGD(params, { lr: 0.1 });
    const g = tf.zeros([2, 3]);
    expect(() => opt.step(new Map([['encoder.weight', g]]))).toThrow(/gradient of "encoder.weight" has shape \[2,3\], parameter has \[3,2\]/);
    g.dispose();
    opt.dispose();
    disposeAll(params);
  });
});
