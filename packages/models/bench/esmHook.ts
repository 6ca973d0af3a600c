// Plain Node cannot load tfjs-core's gradient registrations (ESM files with extension-less imports in a
// package without "type": "module"); vitest can. This resolve hook (same as @lel/core's bench hook, which
// core does not export) fixes that; the benchmarks import everything else dynamically after installing it.
import { register } from 'node:module';

const HOOK = `
export async function resolve(specifier, context, next) {
  const parent = context.parentURL ?? '';
  if (parent.includes('/@tensorflow/tfjs-core/dist/') && /^\\.\\.?\\//.test(specifier) && !specifier.endsWith('.js')) {
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
