import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { applyOverrides, deepMerge, parseOverride } from './overrides';
import { readResolvedConfig, resolveConfig, writeResolvedConfig } from './load';
import { ConfigError, validateWithSchema } from './validate';
import { cctRecipe } from '../recipes/cct';
import { kdRecipe } from '../recipes/kd';

describe('--set overrides', () => {
  it('coerces values like YAML scalars', () => {
    expect(parseOverride('train.maxSteps=20')).toEqual({ path: ['train', 'maxSteps'], value: 20 });
    expect(parseOverride('optim.lr=1e-3').value).toBe(0.001);
    expect(parseOverride('swa.enabled=true').value).toBe(true);
    expect(parseOverride('model.widths=[8, 16]').value).toEqual([8, 16]);
    expect(parseOverride('data.variant=hard').value).toBe('hard');
    expect(parseOverride("name='007'").value).toBe('007');
    expect(parseOverride('x=').value).toBe('');
  });

  it('rejects malformed overrides with the offending text', () => {
    expect(() => parseOverride('maxSteps')).toThrow(/expected key=value/);
    expect(() => parseOverride('a..b=1')).toThrow(/empty segment/);
    expect(() => applyOverrides({ a: 3 }, ['a.b=1'])).toThrow(/"a" is 3, not a section/);
  });

  it('treats a data source as a whole: a path string takes keys set under it, a mapping naming a source replaces the default', () => {
    expect(applyOverrides({ data: { labelled: './voc' } }, ['data.labelled.fraction=0.25'])).toEqual({ data: { labelled: { path: './voc', fraction: 0.25 } } });
    const defaults = { data: { labelled: { source: 'digit-scenes', n: 64, fraction: 0.125 } } };
    expect(deepMerge(defaults, { data: { labelled: { path: './voc' } } })).toEqual({ data: { labelled: { path: './voc' } } });
    expect(deepMerge(defaults, { data: { labelled: { source: 'voc', path: './voc' } } })).toEqual({ data: { labelled: { source: 'voc', path: './voc' } } });
    expect(deepMerge(defaults, { data: { labelled: { n: 128 } } })).toEqual({ data: { labelled: { source: 'digit-scenes', n: 128, fraction: 0.125 } } });
    expect(() => applyOverrides({ init: { encoder: 'x' } }, ['init.encoder.y=1'])).toThrow(/not a section/);
  });

  it('applies in order over a deep-merged tree without mutating it', () => {
    const base = { train: { maxSteps: 5, logEvery: 2 }, model: { widths: [16, 32] } };
    const merged = deepMerge(base, { train: { maxSteps: 9 }, model: { widths: [4] } });
    expect(merged).toEqual({ train: { maxSteps: 9, logEvery: 2 }, model: { widths: [4] } });
    const out = applyOverrides(merged, ['train.maxSteps=1', 'train.maxSteps=2', 'swa.enabled=true']);
    expect(out).toEqual({ train: { maxSteps: 2, logEvery: 2 }, model: { widths: [4] }, swa: { enabled: true } });
    expect(base.train.maxSteps).toBe(5);
  });
});

describe('schema validation errors', () => {
  const schema = z.object({ data: z.object({ variant: z.enum(['easy', 'hard']).default('easy'), size: z.number().int().min(16).default(32) }).strict().prefault({}) }).strict();

  it('names an unknown key, suggests the closest and lists the allowed keys', () => {
    try {
      validateWithSchema(schema, { data: { sise: 32 } }, 'run.yaml');
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(ConfigError);
      const msg = (e as Error).message;
      expect(msg).toContain('run.yaml is invalid');
      expect(msg).toContain('data.sise: unknown key (did you mean "size"?); allowed keys: variant, size');
    }
  });

  it('lists the allowed values of an enum and the bound of a number', () => {
    expect(() => validateWithSchema(schema, { data: { variant: 'medium' } })).toThrow(/data\.variant: .*allowed values: "easy", "hard"/);
    expect(() => validateWithSchema(schema, { data: { size: 8 } })).toThrow(/data\.size: .*16/);
  });

  it('validates real recipe configs: top-level typos, nested method keys, distillation method literal', () => {
    expect(() => resolveConfig(cctRecipe.schema, { defaults: cctRecipe.defaults, sets: ['trian.maxSteps=3'] })).toThrow(/trian: unknown key \(did you mean "train"\?\); allowed keys: recipe, seed, train, swa, data, model, init, cct/);
    expect(() => resolveConfig(cctRecipe.schema, { defaults: cctRecipe.defaults, sets: ['cct.loss.unsup=l1'] })).toThrow(/cct\.loss\.unsup: .*allowed values: "mse", "kl", "js"/);
    expect(() => resolveConfig(cctRecipe.schema, { defaults: cctRecipe.defaults, sets: ['swa.strategy=avg'] })).toThrow(/swa\.strategy: .*"swa", "ema"/);
    expect(() => resolveConfig(kdRecipe.schema, { defaults: kdRecipe.defaults, sets: ['distill.method=ckd'] })).toThrow(/distill\.method: .*"kd"/);
    const ok = resolveConfig(cctRecipe.schema, { defaults: cctRecipe.defaults, sets: ['swa.enabled=true', 'model.widths=[8,16]'] }) as { swa: { enabled: boolean; strategy: string }; model: { widths: number[] }; cct: { mode: string } };
    expect(ok.swa).toMatchObject({ enabled: true, strategy: 'swa' });
    expect(ok.model.widths).toEqual([8, 16]);
    expect(ok.cct.mode).toBe('semi');
  });

  it('layers defaults ← file ← --set and round-trips the resolved YAML', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-config-'));
    const file = path.join(dir, 'run.yaml');
    fs.writeFileSync(file, 'seed: 3\ntrain:\n  maxSteps: 7\ndata:\n  size: 48\n');
    const cfg = resolveConfig(cctRecipe.schema, { defaults: cctRecipe.defaults, file, sets: ['train.maxSteps=9'] }) as { seed: number; train: { maxSteps: number }; data: { size: number } };
    expect(cfg.seed).toBe(3);
    expect(cfg.train.maxSteps).toBe(9);
    expect(cfg.data.size).toBe(48);
    writeResolvedConfig(dir, cfg);
    expect(validateWithSchema(cctRecipe.schema, readResolvedConfig(dir))).toEqual(cfg);
    fs.writeFileSync(file, '- a\n- b\n');
    expect(() => resolveConfig(cctRecipe.schema, { defaults: {}, file })).toThrow(/top level must be a mapping/);
    expect(() => resolveConfig(cctRecipe.schema, { defaults: {}, file: path.join(dir, 'nope.yaml') })).toThrow(/no such file/);
  });

  it('a config nesting brackets 5,000 deep or indented past 128 columns is refused before the YAML parser recurses', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-config-'));
    const file = path.join(dir, 'deep.yaml');
    // Was: the yaml package's "Maximum call stack size exceeded" after seconds, and once a fatal V8 abort.
    fs.writeFileSync(file, `train: ${'['.repeat(5000)}${']'.repeat(5000)}\n`);
    const started = Date.now();
    expect(() => resolveConfig(cctRecipe.schema, { defaults: cctRecipe.defaults, file })).toThrow(`--config ${file}: brackets nest more than 64 deep (line 1)`);
    expect(Date.now() - started).toBeLessThan(500);
    fs.writeFileSync(file, Array.from({ length: 200 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n');
    expect(() => resolveConfig(cctRecipe.schema, { defaults: cctRecipe.defaults, file })).toThrow(`--config ${file}: line 130 is indented more than 128 columns (nesting too deep)`);
    expect(() => parseOverride(`train.maxSteps=${'['.repeat(100)}`)).toThrow('--set train.maxSteps: brackets nest more than 64 deep (line 1)');
    // An alias bomb stops at the parser's alias limit.
    const bomb = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]', ...Array.from({ length: 9 }, (_, i) => `a${i + 1}: &a${i + 1} [${new Array(10).fill(`*a${i}`).join(', ')}]`)].join('\n');
    fs.writeFileSync(file, bomb);
    expect(() => resolveConfig(cctRecipe.schema, { defaults: cctRecipe.defaults, file })).toThrow(new RegExp(`--config ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not valid YAML: .*alias`, 'i'));
  });
});
