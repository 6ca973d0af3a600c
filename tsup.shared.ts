import { defineConfig, type Options } from 'tsup';

/**
 * One build factory for every library package: ESM (.js) + CJS (.cjs) with .d.ts/.d.cts,
 * dependencies and peers external (tsup's default).
 */
export function libraryBuild(entry: Record<string, string> = { index: 'src/index.ts' }, extra: Partial<Options> = {}) {
  return defineConfig({
    entry,
    format: ['esm', 'cjs'],
    dts: true,
    clean: true,
    sourcemap: true,
    target: 'node20',
    platform: 'node',
    splitting: false,
    shims: true,
    ...extra,
  });
}
