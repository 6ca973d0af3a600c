import { register } from 'node:module';

// tfjs-core 4.22 registers no gradients by itself: `@tensorflow/tfjs-core/dist/register_all_gradients`
// does, but that file and everything it imports is ESM with extension-less relative imports
// (`./gradients/Abs_grad`) in a package without "type": "module". Bundlers and vitest resolve it; plain
// Node (and tsx) cannot. This resolve hook adds the `.js` (or `/index.js`) and marks those files as ESM.
const HOOK = `
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

let installed = false;

/**
 * Make `import '@tensorflow/tfjs-core/dist/register_all_gradients'` work in plain Node (≥ 20.6): call this
 * before importing any module that imports it (so: import `@lel/core` dynamically afterwards, or preload a
 * file that calls it with `node --import`). Idempotent.
 */
export function installTfjsEsmHook(): void {
  if (installed) return;
  installed = true;
  register('data:text/javascript,' + encodeURIComponent(HOOK), import.meta.url);
}
