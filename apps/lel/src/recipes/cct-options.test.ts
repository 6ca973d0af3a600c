import { describe, expect, it } from 'vitest';
import type { Module } from '@lel/core';
import { parseBackend, setupBackend } from '../backend';
import { tempDir } from '../testing';
import { cctFlips, cctMethodConfig, cctRecipe, cctSupervisedRecipe, runDataSection } from './cct';
import { segmentationRunData } from './seg-data';
import type { PreparedRun } from './types';

describe('cct recipes: augmentation and ramp-up options', () => {
  it('the digit-scene pipeline trains without horizontal flips (a mirrored digit is another shape)', async () => {
    await setupBackend(parseBackend('wasm'), 0);
    const config = cctRecipe.schema.parse({ ...cctRecipe.defaults, data: { labelled: { source: 'digit-scenes', n: 16, heldOut: 4, fraction: 0.25 } }, train: { maxSteps: 1 } });
    expect(cctFlips(config)).toBe(false);
    const prep = (await cctRecipe.prepare(config, { runDir: tempDir('cct-flips'), progress: 'none', callbacks: [], log: () => {} })) as PreparedRun;
    try {
      // @lel/cct flips when `augment` is undefined; null means no augmentation.
      expect((prep.data as { augment?: unknown }).augment).toBeNull();
    } finally {
      for (const m of prep.models as Module[]) m.dispose();
      prep.dispose();
    }
  });

  it('user images keep the official flips by default; cct.flip overrides either way and stays out of the @lel/cct config', () => {
    const user = cctSupervisedRecipe.schema.parse({ data: { labelled: './my/scenes' } });
    expect(cctFlips(user)).toBe(true);
    const off = cctSupervisedRecipe.schema.parse({ data: { labelled: './my/scenes' }, cct: { flip: false } });
    expect(cctFlips(off)).toBe(false);
    const on = cctRecipe.schema.parse({ cct: { flip: true } });
    expect(cctFlips(on)).toBe(true);
    expect('flip' in cctMethodConfig(on)).toBe(false);
  });

  it('exposes loss.rampUpUnit (epochs by default, iterations for short budgets) and passes it to @lel/cct', () => {
    expect(cctMethodConfig(cctRecipe.schema.parse({})).loss.rampUpUnit).toBe('epochs');
    expect(cctMethodConfig(cctRecipe.schema.parse({ cct: { loss: { rampUpUnit: 'iterations' } } })).loss.rampUpUnit).toBe('iterations');
  });
});

describe('cct recipes: selection and report splits', () => {
  it('by default the best checkpoint is chosen on the dev part and the run reports a separate test part', async () => {
    await setupBackend(parseBackend('wasm'), 0);
    const config = cctSupervisedRecipe.schema.parse(cctSupervisedRecipe.defaults);
    const data = await segmentationRunData(runDataSection(config.data), { runDir: tempDir('cct-splits') });
    const dev = data.parts.dev!;
    const test = data.parts.test!;
    expect(test.indices.length).toBe(16);
    expect(data.parts.labelled!.indices.length + (data.parts.unlabelled?.indices.length ?? 0)).toBe(64);
    // Disjoint: the dev part is the held-out scenes (unseen digits), the test part is carved from the training scenes.
    expect(dev.source).not.toBe(test.source);
    // (The unlabelled part is a re-indexed pool; the labelled part indexes the same source as the test part.)
    expect(test.source).toBe(data.parts.labelled!.source);
    const labelled = new Set(data.parts.labelled!.indices);
    expect(test.indices.some((i) => labelled.has(i))).toBe(false);
    expect(new Set(test.indices).size).toBe(16);
  });

  it('user data keeps its own section (no test part unless data.test / data.testFraction asks for one)', () => {
    const user = cctRecipe.schema.parse({ data: { labelled: './my/scenes' } });
    expect(runDataSection(user.data)).toBe(user.data);
    const own = cctRecipe.schema.parse({ data: { labelled: { source: 'digit-scenes' }, testFraction: 5 } });
    expect(runDataSection(own.data).testFraction).toBe(5);
  });
});
