// `node --import tsx --import @lel/core/node-hook script.ts`: lets plain Node run LEL from TypeScript sources.
// tfjs-core 4.22 registers no gradients by itself; `@tensorflow/tfjs-core/dist/register_all_gradients` does, but
// it and everything it imports are ESM files with extension-less relative imports in a package without
// "type": "module". Bundlers, vitest and LEL's built dist/ handle that; plain Node does not. This resolve hook
// adds the `.js` (or `/index.js`) and marks those files as ESM. Their engine and registries are the global
// singletons tfjs keeps on globalThis, so they register into the same engine as `@tensorflow/tfjs-core`.
import { register } from 'node:module';

export const TFJS_ESM_RESOLVE_HOOK = `
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? '';
  const inCore = parent.includes('/@tensorflow/tfjs-core/dist/');
  if (inCore && /^\\.\\.?\\//.test(specifier) && !specifier.endsWith('.js')) {
    try { return { ...(await next(specifier + '.js', context)), format: 'module' }; }
    catch { return { ...(await next(specifier + '/index.js', context)), format: 'module' }; }
  }
  if (/@tensorflow\\/tfjs-core\\/dist\\/register_all_gradients(\\.js)?$/.test(specifier)) {
    const s = specifier.endsWith('.js') ? specifier : specifier + '.js';
    return { ...(await next(s, context)), format: 'module' };
  }
  return next(specifier, context);
}`;

/** Register the resolve hook (idempotent). Importing this file calls it. */
export function installTfjsEsmHook() {
  if (globalThis.__lelTfjsEsmHook) return;
  globalThis.__lelTfjsEsmHook = true;
  register('data:text/javascript,' + encodeURIComponent(TFJS_ESM_RESOLVE_HOOK), import.meta.url);
}

installTfjsEsmHook();
