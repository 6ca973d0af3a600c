import { z } from 'zod';
import { describe, expect, test } from 'vitest';
import { createHash } from 'node:crypto';
import { canonicalJson, ConfigValidationError, hashConfig, validateConfig } from './config';

const Schema = z
  .object({
    optim: z.object({ lr: z.number().positive(), name: z.enum(['sgd', 'adam']).default('sgd') }).strict(),
    layers: z.array(z.object({ size: z.number().int() })),
    epochs: z.number().int().min(1),
  })
  .strict();

describe('validateConfig', () => {
  test('returns the typed config with defaults', () => {
    const cfg = validateConfig(Schema, { optim: { lr: 0.1 }, layers: [{ size: 3 }], epochs: 2 });
    expect(cfg.optim.name).toBe('sgd');
  });

  test('names every bad key path and the reason', () => {
    let err: unknown;
    try {
      validateConfig(Schema, { optim: { lr: -1, momentum: 0.9 }, layers: [{ size: 3 }, { size: 'x' }], typo: 1 }, { source: 'run.json' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigValidationError);
    const e = err as ConfigValidationError;
    expect(e.issues.map((i) => i.path).sort()).toEqual(['epochs', 'layers[1].size', 'optim.lr', 'optim.momentum', 'typo']);
    expect(e.message).toMatch(/^Invalid config in run\.json \(5 problems\):/);
    expect(e.message).toMatch(/ {2}- optim\.lr: .*>0/);
    expect(e.message).toMatch(/ {2}- optim\.momentum: unknown key/);
    expect(e.message).toMatch(/ {2}- layers\[1\]\.size: .*number/);
  });
});

describe('hashConfig', () => {
  test('ignores key order, tells values apart', () => {
    expect(hashConfig({ a: 1, b: { c: [1, 2], d: 'x' } })).toBe(hashConfig({ b: { d: 'x', c: [1, 2] }, a: 1 }));
    expect(hashConfig({ a: 1 })).not.toBe(hashConfig({ a: 2 }));
    expect(hashConfig({ a: [1, 2] })).not.toBe(hashConfig({ a: [2, 1] }));
    expect(hashConfig({ a: 1 })).toMatch(/^[0-9a-f]{64}$/);
  });

  test('the same digest as node:crypto SHA-256 of the canonical JSON (checkpoints written before stay resumable)', () => {
    const config = { model: { width: 64, name: 'é — ü' }, lr: 0.01, steps: [1, 2, 3], off: null };
    expect(hashConfig(config)).toBe(createHash('sha256').update(canonicalJson(config)).digest('hex'));
  });
});
