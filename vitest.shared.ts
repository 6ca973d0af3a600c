import { defineProject } from 'vitest/config';

/**
 * Shared vitest project settings. The `@lel/source` export condition makes workspace packages
 * resolve to their TypeScript sources, so tests never need a prior build.
 */
export function lelProject(name: string, extra: { testTimeout?: number } = {}) {
  return defineProject({
    resolve: { conditions: ['@lel/source', 'import', 'module', 'node', 'default'] },
    ssr: { resolve: { conditions: ['@lel/source', 'import', 'module', 'node', 'default'] } },
    test: {
      name,
      environment: 'node',
      pool: 'forks',
      testTimeout: extra.testTimeout ?? 60_000,
      hookTimeout: 60_000,
    },
  });
}
