import { libraryBuild } from '../../tsup.shared';

// tfjs-core registers no gradients itself, and its `dist/register_all_gradients` is extension-less ESM that
// plain Node cannot load, so it is bundled into @lel/core (tfjs keeps its engine and kernel/gradient
// registries on globalThis: the bundled copy registers into the same engine as the peer tfjs-core).
export default libraryBuild(
  { index: 'src/index.ts', testing: 'src/testing/index.ts' },
  { external: ['vitest'], noExternal: [/@tensorflow\/tfjs-core\/dist\/register_all_gradients/] },
);
