import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

function resolvable(pkg: string): boolean {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

/**
 * Backends a test suite should run on: env `LEL_TEST_BACKENDS` (comma list) when set, else every
 * installed backend among tensorflow (tfjs-node), wasm and cpu. `LEL_BACKEND` alone narrows to one.
 */
export function testBackends(): string[] {
  const env = process.env.LEL_TEST_BACKENDS ?? process.env.LEL_BACKEND;
  if (env) return env.split(',').map((s) => s.trim()).filter(Boolean);
  const out: string[] = [];
  if (resolvable('@tensorflow/tfjs-node')) out.push('tensorflow');
  if (resolvable('@tensorflow/tfjs-backend-wasm')) out.push('wasm');
  if (resolvable('@tensorflow/tfjs-backend-cpu')) out.push('cpu');
  return out;
}
