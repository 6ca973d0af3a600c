#!/usr/bin/env node
// Writes the skeleton of a library package (package.json, tsconfig, tsup and vitest configs).
// Used by `pnpm new-method` and kept idempotent: existing files are never overwritten.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function makePackage({ dir, name, description, deps = {}, keywords = [], extra = {} }) {
  mkdirSync(join(dir, 'src'), { recursive: true });
  const write = (file, text) => {
    const p = join(dir, file);
    if (!existsSync(p)) writeFileSync(p, text);
  };
  const pkg = {
    name,
    version: '0.1.0',
    description,
    license: 'Apache-2.0',
    keywords: ['tensorflowjs', 'label-efficient-learning', ...keywords],
    type: 'module',
    sideEffects: false,
    main: './dist/index.cjs',
    module: './dist/index.js',
    types: './dist/index.d.ts',
    exports: {
      '.': {
        '@lel/source': './src/index.ts',
        import: { types: './dist/index.d.ts', default: './dist/index.js' },
        require: { types: './dist/index.d.cts', default: './dist/index.cjs' },
      },
      './package.json': './package.json',
    },
    files: ['dist', 'src', '!src/**/*.test.ts', '!src/**/fixtures', '!src/**/*.fixture.ts'],
    scripts: {
      build: 'tsup',
      typecheck: 'tsc --noEmit -p tsconfig.json',
      test: 'vitest run',
      'check:package': 'publint --strict && attw --pack . --profile node16',
    },
    dependencies: deps,
    peerDependencies: { '@tensorflow/tfjs-core': '4.22.0' },
    devDependencies: {
      '@tensorflow/tfjs-backend-cpu': 'catalog:',
      '@tensorflow/tfjs-backend-wasm': 'catalog:',
      '@tensorflow/tfjs-core': 'catalog:',
    },
    publishConfig: { access: 'public' },
    engines: { node: '>=20' },
  };
  for (const [k, v] of Object.entries(extra)) pkg[k] = typeof v === 'object' && !Array.isArray(v) ? { ...(pkg[k] ?? {}), ...v } : v;
  write('package.json', JSON.stringify(pkg, null, 2) + '\n');
  write('tsconfig.json', JSON.stringify({ extends: '../../tsconfig.base.json', include: ['src'] }, null, 2) + '\n');
  write('tsup.config.ts', "import { libraryBuild } from '../../tsup.shared';\n\nexport default libraryBuild();\n");
  write('vitest.config.ts', `import { lelProject } from '../../vitest.shared.ts';\n\nexport default lelProject('${name}');\n`);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const [dir, name, ...desc] = process.argv.slice(2);
  makePackage({ dir, name, description: desc.join(' ') });
}
