import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { describe, expect, test } from 'vitest';
import { Rng } from '../random/rng';
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

/** Draws masks from a registered generator and counts its training calls (extra state). */
class Masked extends Module {
  calls = 0;
  readonly rng: Rng;
  constructor(rng: Rng) {
    super();
    this.rng = this.registerGenerator('rng', rng);
    this.registerParameter('weight', tf.ones([2]));
  }
  override extraState(): { calls: number } {
    return { calls: this.calls };
  }
  override loadExtraState(state: unknown): void {
    this.calls = (state as { calls: number }).calls;
  }
  draw(): number[] {
    this.calls++;
    return [this.rng.next(), this.rng.normal()];
  }
}
class Net extends Module {
  readonly blocks: ModuleList<Masked>;
  readonly own: Rng;
  constructor(shared: Rng, own: Rng) {
    super();
    this.blocks = this.registerModule('blocks', new ModuleList([new Masked(shared), new Masked(shared)]));
    this.own = this.registerGenerator('own', own);
  }
}

describe('Module generators and extra state', () => {
  test('extraStateDict names every generator and stateful module; loading it replays the draws exactly', () => {
    const a = new Net(new Rng('shared'), new Rng('own'));
    a.blocks.at(0).draw();
    a.blocks.at(1).draw();
    a.own.next();
    expect(a.namedGenerators().map(([n]) => n)).toEqual(['own', 'blocks.0.rng', 'blocks.1.rng']);
    expect(a.hasExtraState()).toBe(false);
    expect(a.blocks.at(0).hasExtraState()).toBe(true);
    const saved = JSON.parse(JSON.stringify(a.extraStateDict()));
    expect(Object.keys(saved.generators)).toEqual(['own', 'blocks.0.rng', 'blocks.1.rng']);
    expect(saved.generators['blocks.0.rng']).toEqual(saved.generators['blocks.1.rng']); // one shared generator
    expect(saved.modules).toEqual({ 'blocks.0': { calls: 1 }, 'blocks.1': { calls: 1 } });
    const expected = [a.blocks.at(1).draw(), a.blocks.at(0).draw(), [a.own.next()]];

    const b = new Net(new Rng('other'), new Rng('other-own'));
    expect(b.loadExtraStateDict(saved)).toEqual([]);
    expect([b.blocks.at(1).draw(), b.blocks.at(0).draw(), [b.own.next()]]).toEqual(expected);
    expect(b.blocks.at(0).calls).toBe(2);
    // A shared generator stays shared after loading.
    expect(b.blocks.at(0).rng).toBe(b.blocks.at(1).rng);
    a.dispose();
    b.dispose();
  });

  test('strict loading refuses other names and changes nothing; non-strict restores what matches', () => {
    const a = new Net(new Rng('shared'), new Rng('own'));
    const saved = a.extraStateDict();
    const other = { generators: { own: saved.generators.own!, 'blocks.7.rng': saved.generators.own! }, modules: { 'blocks.0': { calls: 5 }, extra: 1 } };
    const b = new Net(new Rng('x'), new Rng('y'));
    const next = new Rng('y').next();
    expect(() => b.loadExtraStateDict(other)).toThrow(
      /missing: {4}generator blocks\.0\.rng\n {2}missing: {4}generator blocks\.1\.rng\n {2}unexpected: generator blocks\.7\.rng\n {2}missing: {4}state of module blocks\.1\n {2}unexpected: state of module extra/,
    );
    expect(b.blocks.at(0).calls).toBe(0);
    expect(b.loadExtraStateDict(other, { strict: false })).toHaveLength(5);
    expect(b.blocks.at(0).calls).toBe(5);
    expect(b.own.next()).toBe(new Rng('own').next());
    expect(b.own.next()).not.toBe(next);
    a.dispose();
    b.dispose();
  });

  test('a module overriding extraState must implement loadExtraState; generator names share the member namespace', () => {
    class Half extends Module {
      override extraState(): number {
        return 1;
      }
    }
    const h = new Half();
    expect(h.extraStateDict()).toEqual({ generators: {}, modules: { '': 1 } });
    expect(() => h.loadExtraStateDict({ generators: {}, modules: { '': 1 } })).toThrow(/Half\.loadExtraState: not implemented/);
    class Clash extends Module {
      constructor() {
        super();
        this.registerParameter('rng', tf.zeros([1]));
        this.registerGenerator('rng', new Rng(0));
      }
    }
    expect(() => new Clash()).toThrow(/"rng" is already registered/);
  });

  test('deleteGenerator unregisters a generator (per-adapter generators) and names the ones there are otherwise', () => {
    class Adapters extends Module {
      add(name: string): void {
        this.registerGenerator(name, new Rng(name));
      }
      remove(name: string): void {
        this.deleteGenerator(name);
      }
    }
    const m = new Adapters();
    m.add('a');
    m.add('b');
    m.remove('a');
    expect(m.namedGenerators().map(([n]) => n)).toEqual(['b']);
    expect(() => m.remove('a')).toThrow(/Module\.deleteGenerator: no generator "a" \(have: b\)/);
    m.add('a'); // the name is free again
    expect(m.namedGenerators().map(([n]) => n)).toEqual(['b', 'a']);
  });
});
