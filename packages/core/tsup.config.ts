import { defineConfig, type Options } from 'tsup';

// tfjs-core registers no gradients itself, and its `dist/register_all_gradients` is extension-less ESM that
// plain Node cannot load, so it is bundled into @lel/core (tfjs keeps its engine and kernel/gradient
// registries on globalThis: the bundled copy registers into the same engine as the peer tfjs-core).
const common: Options = {
  target: 'node20',
  platform: 'node',
  sourcemap: true,
  external: ['vitest'],
  noExternal: [/@tensorflow\/tfjs-core\/dist\/register_all_gradients/],
};

export default defineConfig([
  // index: the browser-safe main entry; node: the Node-only entry (@lel/core/node); index-node: the main entry as
  // Node loads it (index + node). Shared code is split into chunks, so every entry holds the same classes and state.
  ...(['esm', 'cjs'] as const).map(
    (format): Options => ({
      ...common,
      entry: { index: 'src/index.ts', 'index-node': 'src/index-node.ts', node: 'src/node.ts', testing: 'src/testing/index.ts' },
      format: [format],
      dts: true,
      clean: format === 'esm',
      splitting: true,
      // ESM: no shims (they import node:path/url into the shared chunks a web page bundles); CJS: import.meta.url.
      shims: format === 'cjs',
    }),
  ),
  // The data-parallel worker_threads entry (top-level await: ESM only), loaded beside index.js/index.cjs.
  { ...common, entry: { worker: 'src/parallel/worker.ts' }, format: ['esm'], dts: false, clean: false },
]);
