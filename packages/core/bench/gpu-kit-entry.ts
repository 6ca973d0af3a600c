// Entry of the bundled GPU benchmark (bench/gpu-kit.ts): packages are resolved at bundle time, so LEL's
// backend loader gets them from the bundle instead of a dynamic import by name.
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
await import('./gpu');
