import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { GELU, Linear, Rng, Sequential, useBackend } from '@lel/core';
import { beforeAll, describe, expect, test } from 'vitest';
import { KronaBlock, KronaLinear } from './krona/layer';
import { LoraLinear } from './lora/layer';

const values = (t: tf.Tensor) => Array.from(t.dataSync());

describe('BaseAdapterLayer (shared by LoRA, KronA, KronA^B, RelBitFit)', () => {
  beforeAll(async () => {
    await useBackend('cpu');
  });

  test('active adapter, enable/disable, merge/unmerge and deletion behave the same for LoRA and KronA', () => {
    const rng = new Rng(5);
    const make = [
      () => {
        const l = new LoraLinear(new Linear(6, 4, { rng }));
        for (const n of ['one', 'two']) l.addAdapter(n, { r: 2, alpha: 4, dropout: 0, useRslora: false, init: true, rng });
        return l;
      },
      () => {
        const l = new KronaLinear(new Linear(6, 4, { rng }));
        for (const n of ['one', 'two']) l.addAdapter(n, { aShape: [2, 2], bShape: [3, 2], scale: 0.5, scaleTrainable: true, zeroFactor: 'A', rng });
        return l;
      },
    ];
    for (const build of make) {
      const layer = build();
      for (const n of ['one', 'two']) for (const [, p] of layer.adapterParameters(n)) p.assign(rng.normalTensor(p.shape));
      const x = rng.normalTensor([3, 6]);
      const base = values(tf.tidy(() => layer.baseLayer.forward(x)));
      // Nothing active: the base layer alone.
      expect(values(tf.tidy(() => layer.forward(x)))).toEqual(base);
      expect(() => (layer.activeAdapter = 'three')).toThrow(/no adapter "three" on this layer \(have: one, two\)/);
      layer.activeAdapter = 'one';
      const one = values(tf.tidy(() => layer.forward(x)));
      expect(one).not.toEqual(base);
      layer.activeAdapter = 'two';
      const two = values(tf.tidy(() => layer.forward(x)));
      expect(two).not.toEqual(one);
      // Disabled: base output, the selection is kept.
      layer.enableAdapters(false);
      expect(layer.adaptersEnabled).toBe(false);
      expect(layer.activeAdapter).toBe('two');
      expect(values(tf.tidy(() => layer.forward(x)))).toEqual(base);
      layer.enableAdapters(true);
      expect(values(tf.tidy(() => layer.forward(x)))).toEqual(two);
      // Merged: the update lives in the kernel; the forward does not add it twice.
      layer.merge('two');
      expect(layer.mergedAdapter).toBe('two');
      values(tf.tidy(() => layer.forward(x))).forEach((v, i) => expect(v).toBeCloseTo(two[i]!, 5));
      expect(() => layer.merge('one')).toThrow(/"two" is already merged; unmerge first/);
      expect(() => layer.deleteAdapter('two')).toThrow(/"two" is merged; unmerge it before deleting it/);
      layer.unmerge();
      expect(layer.mergedAdapter).toBeNull();
      values(tf.tidy(() => layer.forward(x))).forEach((v, i) => expect(v).toBeCloseTo(two[i]!, 5));
      // Deleting the active adapter deselects it and frees its tensors.
      const before = tf.memory().numTensors;
      const owned = layer.adapterParameters('two').length;
      layer.deleteAdapter('two');
      expect(layer.activeAdapter).toBeNull();
      expect(layer.adapterNames()).toEqual(['one']);
      expect(tf.memory().numTensors).toBe(before - owned);
      expect(() => layer.adapterParameters('two')).toThrow(/no adapter "two"/);
      layer.deleteAllAdapters();
      expect(layer.adapterNames()).toEqual([]);
      tf.dispose(x);
      layer.dispose();
    }
  });

  test('adapter names are checked once for every method; non-linear layers refuse to merge', () => {
    const block = new KronaBlock(new Sequential([new Linear(4, 4), new GELU(), new Linear(4, 4)]), 4);
    const spec = { aShape: [2, 2] as [number, number], bShape: [2, 2] as [number, number], scale: 1, scaleTrainable: false, zeroFactor: 'A' as const, residual: false, resScale: 1 };
    expect(() => block.addAdapter('bad name', spec)).toThrow(/adapter name "bad name" is invalid/);
    block.addAdapter('a', spec);
    expect(() => block.addAdapter('a', spec)).toThrow(/KronA\^B: adapter "a" already exists on this layer/);
    expect(block.mergeable).toBe(false);
    expect(() => block.merge('a')).toThrow(/KronA\^B cannot be merged/);
    block.dispose();
  });
});
