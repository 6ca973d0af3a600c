import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, crossEntropy, useBackend } from '@lel/core';
import { expectNoLeaks } from '@lel/core/testing';
import { beforeAll, describe, expect, test } from 'vitest';
import { dropBlock, dropBlockGamma, dropBlockKeepRate } from './drop-block';
import { ResNet12 } from './resnet12';

beforeAll(async () => {
  await useBackend('wasm');
});

describe('DropBlock', () => {
  test("SCL's keep-rate schedule and γ", () => {
    expect(dropBlockKeepRate(0.1, 0)).toBe(1);
    expect(dropBlockKeepRate(0.1, 20000)).toBeCloseTo(0.95, 12);
    expect(dropBlockKeepRate(0.1, 40000)).toBeCloseTo(0.9, 12);
    expect(dropBlockKeepRate(0.1, 1e6)).toBeCloseTo(0.9, 12);
    // 84² input: stage-3 map is 10×10, block 5 → γ = 0.1/25 · 100/36.
    expect(dropBlockGamma(0.9, 5, 10)).toBeCloseTo((0.1 / 25) * (100 / 36), 12);
    expect(() => dropBlockGamma(0.9, 5, 4)).toThrow(/smaller than blockSize/);
  });

  test('a seed at (i, j) zeroes the block below-right of it; survivors are rescaled', async () => {
    const x = tf.ones([1, 6, 6, 2]);
    const seeds = tf.buffer([1, 4, 4, 2]);
    seeds.set(1, 0, 1, 2, 0); // channel 0 only
    const s = seeds.toTensor();
    await expectNoLeaks(() => tf.dispose(dropBlock(x, 0, 3, { seeds: s })));
    const y = dropBlock(x, 0, 3, { seeds: s });
    const v = y.arraySync() as number[][][][];
    const scale = 72 / 63;
    for (let r = 0; r < 6; r++) {
      for (let c = 0; c < 6; c++) {
        const inBlock = r >= 1 && r <= 3 && c >= 2 && c <= 4;
        expect(v[0]![r]![c]![0]).toBeCloseTo(inBlock ? 0 : scale, 5);
        expect(v[0]![r]![c]![1]).toBeCloseTo(scale, 5);
      }
    }
    tf.dispose([x, s, y]);
  });
});

describe('ResNet12', () => {
  test('RFS/SCL parameter names and widths', () => {
    const m = new ResNet12({ numClasses: 64 });
    const names = m.stateDict();
    expect(names.get('layer1.0.conv1.weight')!.shape).toEqual([3, 3, 3, 64]);
    expect(names.get('layer2.0.conv3.weight')!.shape).toEqual([3, 3, 160, 160]);
    expect(names.get('layer4.0.downsample.0.weight')!.shape).toEqual([1, 1, 320, 640]);
    expect(names.get('layer4.0.downsample.1.running_var')!.shape).toEqual([640]);
    expect(names.get('classifier.weight')!.shape).toEqual([640, 64]);
    // 12 conv layers (3 per stage) + 4 shortcut convs; the standard ResNet-12 has ≈ 12.4M parameters.
    expect(m.countParameters().all).toBeGreaterThan(12.3e6);
    expect(m.countParameters().all).toBeLessThan(12.5e6);
    m.dispose();
  });

  test('84×84 gives a 5×5×640 map; 32×32 a 2×2 map (tiny widths)', async () => {
    const tiny = new ResNet12({ channels: [4, 6, 8, 10], dropBlockSize: 2, numClasses: 3 }).eval();
    const x = tf.randomNormal([2, 32, 32, 3]);
    await expectNoLeaks(() => tf.dispose(tiny.forward(x) as never));
    const out = tiny.forward(x);
    expect(out.featureMap.shape).toEqual([2, 2, 2, 10]);
    expect(out.features.shape).toEqual([2, 10]);
    expect(out.logits!.shape).toEqual([2, 3]);
    tf.dispose([x, out.featureMap, out.features, out.logits!]);
    tiny.dispose();
    const thin = new ResNet12({ channels: [2, 2, 2, 4] }).eval();
    const big = tf.randomNormal([1, 84, 84, 3]);
    const o2 = thin.forward(big);
    expect(o2.featureMap.shape).toEqual([1, 5, 5, 4]);
    expect(o2.logits).toBeNull();
    tf.dispose([big, o2.featureMap, o2.features]);
    thin.dispose();
  });

  test('training: DropBlock/dropout active and counted, gradients reach every parameter, eval is deterministic', () => {
    const m = new ResNet12({ channels: [4, 6, 8, 10], dropBlockSize: 2, numClasses: 3, dropRate: 0.5, dropBlockSteps: 1, rng: new Rng(3) });
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 1);
    const labels = tf.tensor1d([0, 2], 'int32');
    const params = m.trainableParameters();
    const { value, grads } = tf.variableGrads(() => crossEntropy(m.forward(x).logits!, labels) as tf.Scalar, params.map(([, p]) => p.variable));
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const [name, p] of params) expect(tf.sum(tf.abs(grads[p.variable.name]!)).dataSync()[0], name).toBeGreaterThan(0);
    expect(m.blocks.map((b) => b.batchesSeen)).toEqual([1, 1, 1, 1]);
    m.eval();
    const a = m.forward(x);
    const b = m.forward(x);
    expect(a.logits!.arraySync()).toEqual(b.logits!.arraySync());
    expect(m.blocks[0]!.batchesSeen).toBe(1);
    tf.dispose([x, labels, value, grads as never, a as never, b as never]);
    m.dispose();
  });

  test('mask generator and DropBlock counter are module state: restoring them replays the next masks exactly', () => {
    // dropBlockSteps 4: the keep rate still ramps over the first batches, so the counter changes the masks.
    const opts = { channels: [4, 6, 8, 10] as const, dropBlockSize: 2, numClasses: 3, dropRate: 0.3, dropBlockSteps: 4 };
    const x = tf.randomNormal([2, 32, 32, 3], 0, 1, 'float32', 2);
    const logits = (m: ResNet12) => {
      const o = m.forward(x);
      const v = Array.from(o.logits!.dataSync());
      tf.dispose([o.featureMap, o.features, o.logits!]);
      return v;
    };
    const a = new ResNet12({ ...opts, rng: new Rng(5) });
    for (let i = 0; i < 2; i++) logits(a);
    const saved = JSON.parse(JSON.stringify(a.extraStateDict())) as ReturnType<ResNet12['extraStateDict']>;
    expect(Object.keys(saved.generators)).toEqual(['layer1.0.rng', 'layer2.0.rng', 'layer3.0.rng', 'layer4.0.rng']);
    expect(saved.modules).toEqual({ 'layer1.0': { batchesSeen: 2 }, 'layer2.0': { batchesSeen: 2 }, 'layer3.0': { batchesSeen: 2 }, 'layer4.0': { batchesSeen: 2 } });
    const expected = [logits(a), logits(a)];

    // Same weights, fresh generator and counters: different masks until the state is restored.
    const fresh = () => {
      const m = new ResNet12({ ...opts, rng: new Rng(99) });
      m.loadStateDict(a.stateDict());
      return m;
    };
    const b = fresh();
    expect(logits(b)).not.toEqual(expected[0]);
    b.loadExtraStateDict(saved);
    expect(b.blocks.map((blk) => blk.batchesSeen)).toEqual([2, 2, 2, 2]);
    expect([logits(b), logits(b)]).toEqual(expected);

    // The counter matters on its own: generators restored, counters left at 0 → other DropBlock masks.
    const c = fresh();
    c.loadExtraStateDict({ generators: saved.generators, modules: {} }, { strict: false });
    expect(logits(c)).not.toEqual(expected[0]);

    // A state of another tree is refused, naming the differences, and changes nothing.
    const d = fresh();
    const other = { generators: { ...saved.generators, 'layer5.0.rng': saved.generators['layer1.0.rng']! }, modules: { 'layer1.0': { batchesSeen: 2 } } };
    expect(() => d.loadExtraStateDict(other)).toThrow(/unexpected: generator layer5\.0\.rng[\s\S]*missing: {4}state of module layer2\.0/);
    expect(d.blocks[0]!.batchesSeen).toBe(0);
    expect(() => d.loadExtraStateDict({ generators: saved.generators, modules: { ...saved.modules, 'layer1.0': { batchesSeen: -1 } } })).toThrow(/batchesSeen/);
    tf.dispose(x);
    for (const m of [a, b, c, d]) m.dispose();
  });
});
