import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
// @ts-expect-error — plain JS generator script without type declarations
import { changeset, files, names, packageFiles, renamer } from '../../../scripts/new-method.mjs';

// `pnpm new-method <name>` copies this package with its name renamed (CONTRIBUTING.md): this package IS the
// template. These tests check that the copy is complete and fully renamed, and that the renaming loses nothing.
const exampleDir = fileURLToPath(new URL('..', import.meta.url));
const spellings = ['entropy-min', 'entropyMin', 'EntropyMin', 'entropy_min', 'ENTROPY_MIN'];
const copy = files(names('foo-bar')) as Record<string, string>;
const scratch = mkdtempSync(join(tmpdir(), 'lel-new-method-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('pnpm new-method foo-bar (a renamed copy of examples/entropy-min)', () => {
  test('copies every file of the example but the generator test, under renamed paths', () => {
    const source = (packageFiles(exampleDir) as string[]).filter((f) => !f.endsWith('generated.test.ts'));
    const rename = renamer(names('entropy-min'), names('foo-bar')) as (s: string) => string;
    expect(Object.keys(copy).sort()).toEqual(source.map(rename).sort());
    expect(Object.keys(copy)).toContain('src/fixtures/foo-bar.json');
    expect(Object.keys(copy)).toContain('src/method.ts');
  });

  test('leaves no spelling of the example’s name in paths or contents', () => {
    for (const [path, text] of Object.entries(copy)) {
      for (const s of spellings) {
        expect(path.includes(s), `${path} (path) has "${s}"`).toBe(false);
        expect(text.includes(s), `${path} has "${s}"`).toBe(false);
      }
    }
    expect(copy['src/method.ts']).toContain('export const fooBar = defineMethod({');
    expect(copy['src/train.ts']).toContain('export async function trainFooBar(');
    expect(copy['reference/golden.py']).toContain('def foo_bar_loss(');
  });

  test('the copy is a publishable workspace package named @lel/foo-bar, with a changeset', () => {
    const pkg = JSON.parse(copy['package.json']!) as { name: string; private?: boolean; lel: { method: string }; files: string[] };
    expect(pkg.name).toBe('@lel/foo-bar');
    expect(pkg.private).toBeUndefined();
    expect(pkg.lel.method).toBe('foo-bar');
    expect(pkg.files).toContain('!src/**/*.test.ts');
    expect(copy['vitest.config.ts']).toContain("lelProject('@lel/foo-bar')");
    expect(JSON.parse(copy['src/fixtures/foo-bar.json']!).cases.map((c: { kind: string }) => c.kind)).toEqual(['fooBarLoss', 'fooBarLoss']);
    expect(changeset(names('foo-bar'))).toMatch(/^---\n"@lel\/foo-bar": minor\n---/);
  });

  test('renaming the copy back gives the example byte for byte (nothing is lost or renamed by accident)', () => {
    const dir = join(scratch, 'foo-bar');
    for (const [rel, text] of Object.entries(copy)) {
      mkdirSync(dirname(join(dir, rel)), { recursive: true });
      writeFileSync(join(dir, rel), text);
    }
    const back = files(names('entropy-min'), dir, 'foo-bar') as Record<string, string>;
    for (const [rel, text] of Object.entries(back)) {
      const committed = readFileSync(join(exampleDir, rel), 'utf8');
      if (rel === 'package.json') expect(JSON.parse(text)).toEqual({ ...JSON.parse(committed), private: undefined });
      else expect(text, rel).toBe(committed);
    }
  });

  test('rejects names that are not kebab-case', () => {
    expect(() => names('Bad_Name')).toThrow(/kebab-case/);
  });
});
