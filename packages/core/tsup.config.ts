import { defineConfig, type Options } from 'tsup';

// tfjs-core registers no gradients itself, and its `dist/register_all_gradients` is extension-less ESM that
// plain Node cannot load, so it is bundled into @lel/core (tfjs keeps its engine and kernel/gradient
// registries on globalThis: the bundled copy registers into the same engine as the peer tfjs-core).
const common: Options = {
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  splitting: false,
  shims: true,
  external: ['vitest'],
  noExternal: [/@tensorflow\/tfjs-core\/dist\/register_all_gradients/],
};

export default defineConfig([
  { ...common, entry: { index: 'src/index.ts', testing: 'src/testing/index.ts' }, format: ['esm', 'cjs'], dts: true, clean: true },
  // The data-parallel worker_threads entry (top-level await: ESM only), loaded beside index.js/index.cjs.
  { ...common, entry: { worker: 'src/parallel/worker.ts' }, format: ['esm'], dts: false, clean: false },
]);
