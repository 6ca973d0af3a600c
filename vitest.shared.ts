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
      // Under `pnpm fuzz` each property runs for LEL_FUZZ_TIME_MS: give its test that long and more.
      testTimeout: process.env.LEL_FUZZ === '1' ? Number(process.env.LEL_FUZZ_TIME_MS ?? 0) + 120_000 : (extra.testTimeout ?? 60_000),
      hookTimeout: 60_000,
    },
  });
}
