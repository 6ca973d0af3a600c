// Entry of the bundled GPU benchmarks (bench/gpu-kit.ts): packages are resolved at bundle time, so LEL's
// backend loader gets them from the bundle instead of a dynamic import by name.
//   node bench-gpu.mjs [bench/gpu.ts's options]            the reference models (`pnpm bench:gpu`)
//   node bench-gpu.mjs methods [bench-methods' options]   each app recipe's default model (`pnpm bench:gpu:methods`)
// The second is apps/lel's code, imported by path: the kit is a tool of this monorepo (bench/ is not published), and
// apps/lel's `@lel/core` resolves to this package's sources, so both share one tfjs engine and one backend loader.
import { setBackendImporter } from '../src/backend';

setBackendImporter(async (pkg) => {
  switch (pkg) {
    case '@tensorflow/tfjs-backend-webgpu':
      return import('@tensorflow/tfjs-backend-webgpu');
    case '@tensorflow/tfjs-backend-cpu':
      return import('@tensorflow/tfjs-backend-cpu');
    case 'node:module':
      return import('node:module');
    case 'webgpu':
      throw new Error('the GPU kit loads Dawn from LEL_DAWN_NODE (run.sh sets it)');
    default:
      throw new Error(`${pkg} is not in the GPU kit`);
  }
});
if (process.argv[2] === 'methods') {
  const { benchMethodsMain } = await import('../../../apps/lel/src/webgpu/bench-methods');
  process.exit(await benchMethodsMain(process.argv.slice(3)));
} else {
  await import('./gpu');
}
