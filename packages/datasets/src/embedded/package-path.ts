import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { DatasetError } from '../errors';

const require = createRequire(import.meta.url);

/**
 * Directory of an installed npm data package (resolved from this package, as Node would resolve an import),
 * failing with an install hint when it is missing.
 */
export function dataPackageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw new DatasetError(name, `data package not installed: run \`pnpm add ${name}\` (it is a dependency of @lel/datasets)`);
  }
}
