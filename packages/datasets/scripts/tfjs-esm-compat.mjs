// Node ESM resolve hook for scripts run with `node --import tsx`: tfjs-core's ESM files (dist/*.js, reached
// through @lel/core's `import '@tensorflow/tfjs-core/dist/register_all_gradients'`) use extensionless and
// directory imports, which bundlers accept and Node's ESM resolver rejects. Retry those as `.js` / `/index.js`.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (e) {
    const fromTfjs = context.parentURL && context.parentURL.includes('/@tensorflow/');
    if (!fromTfjs || !specifier.startsWith('.')) throw e;
    for (const suffix of ['.js', '/index.js']) {
      try { return await next(specifier + suffix, context); } catch {}
    }
    throw e;
  }
}`),
);
