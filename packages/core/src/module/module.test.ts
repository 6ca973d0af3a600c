import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, test } from 'vitest';
import { Module, ModuleList } from './module';

class Leaf extends Module {
  constructor() {
    super();
    this.registerParameter('weight', tf.ones([2, 3]));
    this.registerParameter('bias', tf.zeros([3]));
    this.registerBuffer('running', tf.zeros([3]));
  }
}
class Tree extends Module {
  readonly layers = this.registerModule('layer', new ModuleList([new Leaf(), new Leaf()]));
}

describe('Module', () => {
  test('hierarchical names, freezing and counts', () => {
    const m = new Tree();
    expect(m.namedParameters().map(([n]) => n)).toEqual(['layer.0.weight', 'layer.0.bias', 'layer.1.weight', 'layer.1.bias']);
    expect(m.namedBuffers().map(([n]) => n)).toEqual(['layer.0.running', 'layer.1.running']);
    expect(m.freeze(/weight$/)).toBe(2);
    expect(m.countParameters()).toEqual({ trainable: 6, all: 18, percent: (100 * 6) / 18 });
    m.eval();
    expect(m.layers.at(1).training).toBe(false);
    m.dispose();
  });

  test('strict loadStateDict lists every difference and changes nothing', () => {
    const m = new Tree();
    const state = new Map<string, tf.Tensor>([
      ['layer.0.weight', tf.fill([2, 3], 5)],
      ['layer.0.bias', tf.zeros([4])],
      ['extra', tf.zeros([1])],
    ]);
    expect(() => m.loadStateDict(state)).toThrow(/missing: {4}layer\.1\.weight[\s\S]*unexpected: extra[\s\S]*mis-shaped: layer\.0\.bias expected \[3\] got \[4\]/);
    expect(m.getParameter('layer.0.weight').variable.dataSync()[0]).toBe(1);
    const report = m.loadStateDict(state, { strict: false });
    expect(report.missing).toEqual(["layer.1.weight", "layer.1.bias", "layer.0.running", "layer.1.running"]);
    expect(m.getParameter('layer.0.weight').variable.dataSync()[0]).toBe(5);
    tf.dispose([...state.values()]);
    m.dispose();
  });
});

describe('Module.replaceModule', () => {
  test('swaps a nested child, updates fields and ModuleList items, keeps names and order', () => {
    const m = new Tree();
    const replacement = new Leaf();
    const old = m.replaceModule('layer.1', replacement);
    expect(m.layers.at(1)).toBe(replacement);
    expect(m.getModule('layer.1')).toBe(replacement);
    expect(m.namedParameters().map(([n]) => n)).toEqual(['layer.0.weight', 'layer.0.bias', 'layer.1.weight', 'layer.1.bias']);
    old.dispose();

    class Holder extends Module {
      leaf = this.registerModule('leaf', new Leaf());
    }
    const h = new Holder();
    const before = h.leaf;
    const next = new Leaf();
    expect(h.replaceModule('leaf', next)).toBe(before);
    expect(h.leaf).toBe(next);
    before.dispose();
    h.dispose();
    m.dispose();
  });

  test('a wrong path names the missing part and the existing children', () => {
    const m = new Tree();
    expect(() => m.replaceModule('layer.7', new Leaf())).toThrow(/no sub-module "layer.7".*children of its parent: 0, 1/);
    expect(() => m.replaceModule('nope.0', new Leaf())).toThrow(/no sub-module "nope"/);
    m.dispose();
  });
});
