import { describe, expect, test } from 'vitest';
import { listMethods } from './methods';

describe('lel methods', () => {
  test('lists every method package by its "lel" field, including the generated example (pnpm new-method)', () => {
    const methods = listMethods();
    const byName = new Map(methods.map((m) => [m.package, m]));
    for (const [pkg, method] of [
      ['@lel/cct', 'cct'],
      ['@lel/autoregressive-seg', 'arseg'],
      ['@lel/scl', 'scl'],
      ['@lel/peft', 'peft'],
      ['@lel/vib', 'vib'],
      ['@lel/distill', 'distill'],
      ['@lel/swa', 'swa'],
      ['@lel/entropy-min', 'entropy-min'],
    ] as const) {
      expect(byName.get(pkg)?.lel?.method, pkg).toBe(method);
    }
    expect(byName.get('@lel/entropy-min')?.source).toBe('workspace');
  });
});
