import { defineConfig } from 'vitest/config';

// One vitest run over every workspace package; each package's vitest.config.ts names its project.
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'examples/*'],
  },
});
