import { defineConfig, type Options } from 'tsup';

/**
 * One build factory for every library package: ESM (.js) + CJS (.cjs) with .d.ts/.d.cts, dependencies and peers
 * external (tsup's default). The ESM build has no shims (they import node:path/url, and ESM is what a web page's
 * bundler takes: the main entries must stay free of Node built-ins); the CJS build shims `import.meta.url` for the
 * Node-only files that locate files next to themselves.
 */
export function libraryBuild(entry: Record<string, string> = { index: 'src/index.ts' }, extra: Partial<Options> = {}) {
  const common: Options = { entry, dts: true, sourcemap: true, target: 'node20', platform: 'node', splitting: false, ...extra };
  return defineConfig([
    { ...common, format: ['esm'], shims: false, clean: true },
    { ...common, format: ['cjs'], shims: true, clean: false },
  ]);
}
