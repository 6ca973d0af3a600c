// Property-based tests of the config loader (fast-check): any YAML file, any `--set` override either resolves
// to a config the schema accepts or fails with one message naming the file or the key — never another error,
// never a hang; a resolved config written to a run folder reads back to the same config.
import * as fs from 'node:fs';
import * as path from 'node:path';
import { runProperty } from '@lel/core/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { stringify as stringifyYaml } from 'yaml';
import { cctRecipe } from '../recipes/cct';
import { tempDir } from '../testing';
import { readResolvedConfig, resolveConfig, writeResolvedConfig } from './load';
import { ConfigError } from './validate';

const defaults = { ...cctRecipe.defaults, recipe: 'cct' } as Record<string, unknown>;
const schema = cctRecipe.schema;
const resolvedDefaults = resolveConfig(schema, { defaults }) as Record<string, unknown>;

/** Dotted paths of the leaves of a config tree. */
function leaves(tree: unknown, prefix: string[] = []): string[][] {
  if (tree === null || typeof tree !== 'object' || Array.isArray(tree)) return [prefix];
  return Object.entries(tree).flatMap(([k, v]) => leaves(v, [...prefix, k]));
}
const PATHS = leaves(resolvedDefaults).filter((p) => p.length > 0);

const dir = tempDir('config-prop');
let n = 0;

/** Resolve; accept a valid config or an error that names its source, nothing else. */
function resolveOrNamedError(inputs: { file?: string; sets?: string[] }): Record<string, unknown> | Error {
  try {
    const config = resolveConfig(schema, { defaults, ...inputs }) as Record<string, unknown>;
    expect(schema.safeParse(config).success).toBe(true);
    return config;
  } catch (e) {
    if (e instanceof ConfigError) return e;
    const err = e as Error;
    if (err instanceof TypeError || err instanceof RangeError || !(err instanceof Error)) throw e;
    if (inputs.file && err.message.startsWith(`--config ${inputs.file}`)) return err;
    if (err.message.startsWith('--set')) return err;
    throw new Error(`an error naming neither the file nor the key: ${err.message}`, { cause: e });
  }
}

// Values of every kind, including hostile ones.
const scalarArb = fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null), fc.string({ maxLength: 12 }), fc.constantFrom('NaN', '.inf', '-.inf', '0x10', '1e400', '~', 'yes'));
const treeArb = fc.letrec<{ tree: unknown }>((tie) => ({
  tree: fc.oneof({ depthSize: 'small' }, scalarArb, fc.array(tie('tree'), { maxLength: 3 }), fc.dictionary(fc.oneof(fc.string({ maxLength: 6 }), fc.constantFrom('__proto__', 'constructor', 'train', 'data', 'optim')), tie('tree'), { maxKeys: 3 })),
})).tree;

/** The defaults with a few leaves replaced (by other types, unknown keys, deeper trees). */
const mutatedDefaultsArb = fc.array(fc.tuple(fc.constantFrom(...PATHS), fc.oneof(scalarArb, treeArb), fc.boolean()), { maxLength: 4 }).map((edits) => {
  const tree = structuredClone(resolvedDefaults) as Record<string, unknown>;
  for (const [p, v, unknown] of edits) {
    let node = tree;
    for (const k of p.slice(0, -1)) node = (node[k] ?? {}) as Record<string, unknown>;
    node[unknown ? `${p[p.length - 1]}x` : p[p.length - 1]!] = v;
  }
  return tree;
});

const yamlTextArb = fc.oneof(
  mutatedDefaultsArb.map((t) => stringifyYaml(t)),
  fc.string({ unit: fc.constantFrom('a', ':', ' ', '\n', '-', '[', ']', '{', '}', '&', '*', '!', '?', '#', '|', '>', '"', "'", '\t', '1', '<<'), maxLength: 120 }),
  fc.integer({ min: 1, max: 20_000 }).map((d) => `train: ${'['.repeat(d)}${']'.repeat(d)}\n`),
  fc.integer({ min: 1, max: 200 }).map((d) => Array.from({ length: d }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n'),
  fc.integer({ min: 1, max: 12 }).map((k) => {
    // Alias expansion ("billion laughs"): each level refers to the previous one ten times.
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i <= k; i++) lines.push(`a${i}: &a${i} [${new Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    return lines.join('\n') + '\n';
  }),
  fc.constantFrom('', '---\n', '--- |\n  text\n', '!!binary aGVsbG8=', '[1, 2]', 'train: !!js/function "x"', '__proto__: {polluted: true}\n', 'train:\n  __proto__:\n    maxSteps: 3\n'),
);

describe('config loader properties', () => {
  test('any YAML config file resolves to a valid config or fails naming the file or key', async () => {
    await runProperty('config yaml files', (p) =>
      fc.check(
        fc.property(yamlTextArb, (text) => {
          const file = path.join(dir, `c${n++}.yaml`);
          fs.writeFileSync(file, text);
          resolveOrNamedError({ file });
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        p,
      ),
      150,
    );
  });

  test('any --set override resolves to a valid config or fails naming the key', async () => {
    const keyArb = fc.oneof(
      fc.constantFrom(...PATHS).map((p) => p.join('.')),
      fc.constantFrom(...PATHS).map((p) => `${p.join('.')}.deeper`),
      fc.string({ unit: fc.constantFrom('a', '.', '_', 'p', 'r', 'o', 't'), maxLength: 12 }),
      fc.constantFrom('__proto__.polluted', 'constructor.prototype.x', 'train.__proto__.x', ''),
    );
    const valueArb = fc.oneof(scalarArb.map(String), treeArb.map((t) => JSON.stringify(t) ?? ''), fc.string({ maxLength: 20 }));
    await runProperty('config set overrides', (p) =>
      fc.check(
        fc.property(fc.array(fc.tuple(keyArb, valueArb), { maxLength: 4 }), (sets) => {
          resolveOrNamedError({ sets: sets.map(([k, v]) => `${k}=${v}`) });
          expect(({} as Record<string, unknown>).polluted).toBeUndefined();
        }),
        p,
      ),
    );
  });

  test('a resolved config written to a run folder reads back to the same config', async () => {
    await runProperty('config resolved round trip', (p) =>
      fc.check(
        fc.property(fc.array(fc.tuple(fc.constantFrom(...PATHS), scalarArb), { maxLength: 4 }), (edits) => {
          const r = resolveOrNamedError({ sets: edits.map(([k, v]) => `${k.join('.')}=${JSON.stringify(v)}`) });
          if (r instanceof Error) return;
          const run = path.join(dir, `run${n++}`);
          fs.mkdirSync(run);
          writeResolvedConfig(run, r);
          expect(resolveConfig(schema, { defaults, file: path.join(run, 'config.resolved.yaml') })).toEqual(r);
          expect(readResolvedConfig(run)).toEqual(r);
        }),
        p,
      ),
      50,
    );
  });
});
