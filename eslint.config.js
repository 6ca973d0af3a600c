import tseslint from 'typescript-eslint';

// Files that still read tensors synchronously (#21): each leaves this list when converted; the list only shrinks.
// Empty since every file was converted. The two reads left (deviceCheck, G-Cutout) run on host-memory backends only
// (cpu, wasm), carry an inline eslint-disable with the reason, and are clear errors elsewhere.
const SYNC_READ_BACKLOG = [];

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', 'runs/**', '**/*.cjs', '**/fixtures/**', '**/gpu-kit/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
    },
  },
  {
    // No synchronous tensor reads in library and app code: on webgpu in Node they throw (tfjs-backend-webgpu's
    // readSync needs OffscreenCanvas), and on every GPU backend they stall the device queue. Read with
    // `await t.data()` / `await t.array()` or @lel/core's readValues/readScalar/readAll (#21). Tests and test helpers
    // may read synchronously.
    files: ['packages/*/src/**/*.ts', 'apps/*/src/**/*.ts'],
    ignores: ['**/*.test.ts', '**/*.fixture.ts', '**/testing/**', '**/test-util.ts', '**/test-utils.ts', ...SYNC_READ_BACKLOG],
    rules: {
      'no-restricted-properties': [
        'error',
        ...['dataSync', 'arraySync', 'bufferSync'].map((property) => ({
          property,
          message: 'synchronous tensor read: throws on webgpu in Node and stalls GPU queues; use `await t.data()` / `await t.array()` or readValues/readScalar from @lel/core',
        })),
      ],
    },
  },
  {
    // gradCheck reads asynchronously (so it runs on webgpu): an unawaited check can never fail its test.
    files: ['**/*.test.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        { selector: "ExpressionStatement > CallExpression[callee.name='gradCheck']", message: 'gradCheck is async: `await gradCheck(...)`.' },
      ],
    },
  },
);
