import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
// @ts-expect-error — plain JS generator script without type declarations
import { files, names } from '../../../scripts/new-method.mjs';

// This package is what `pnpm new-method entropy-min --dir examples` writes (CONTRIBUTING.md): a fresh
// generation must equal the committed files, so the example, the generator and the docs cannot drift apart.
describe('pnpm new-method', () => {
  const generated = files(names('entropy-min')) as Record<string, string>;
  test.each(Object.keys(generated).filter((p) => !p.startsWith('../')))('%s equals the generator output', (rel) => {
    const committed = readFileSync(fileURLToPath(new URL(`../${rel}`, import.meta.url)), 'utf8');
    expect(committed).toBe(generated[rel]);
  });

  test('rejects names that are not kebab-case', () => {
    expect(() => names('Bad_Name')).toThrow(/kebab-case/);
  });
});
