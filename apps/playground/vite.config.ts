import { defineConfig } from 'vite';

// Workspace packages resolve to their TypeScript sources (the `@lel/source` condition), as in the tests, so the
// playground needs no prior `pnpm build` of the packages. Their main entries are browser-safe (checked by
// scripts/check-browser.mjs); Node built-ins in the bundle are an error, never a silent stub.
const conditions = ['@lel/source', 'browser', 'module', 'development|production'];

export default defineConfig({
  base: './',
  resolve: { conditions },
  worker: { format: 'es' },
  build: { target: 'es2022', chunkSizeWarningLimit: 8192 },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
