// Preloaded by `pnpm bench` (node --import): plain Node cannot load tfjs-core's gradient registrations
// (`@tensorflow/tfjs-core/dist/register_all_gradients` is ESM with extension-less relative imports in a
// package without "type": "module"; bundlers and vitest resolve it). Same resolve hook as @lel/core's
// internal `installTfjsEsmHook` (src/kernels/tfjs_esm_hook.ts), which its package does not export.
import { register } from 'node:module';

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

register('data:text/javascript,' + encodeURIComponent(HOOK), import.meta.url);
