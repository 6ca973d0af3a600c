import tseslint from 'typescript-eslint';

export default tseslint.config(
  { ignores: ['**/dist/**', '**/node_modules/**', '**/coverage/**', 'runs/**', '**/*.cjs', '**/fixtures/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      '@typescript-eslint/no-non-null-assertion': 'off',
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
