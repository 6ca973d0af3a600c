import { defineConfig } from 'vite';
import { VitePWA } from 'vite-plugin-pwa';

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
  plugins: [
    // Offline once loaded: a Workbox service worker precaches every file of the build (app shell, workers, wasm
    // binaries, digits, glyphs, sentences, the BERT) and takes control at once.
    VitePWA({
      injectRegister: null,
      registerType: 'autoUpdate',
      manifest: {
        name: 'LEL playground',
        short_name: 'LEL',
        description: 'Label-efficient learning live in the browser: CCT, SCL and PEFT beside their baselines.',
        start_url: './',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#0082c8',
        icons: [],
      },
      workbox: {
        globPatterns: ['**/*.{html,js,css,wasm,bin,json,txt,safetensors}'],
        // The BERT (3.3 MB) and the wasm binaries are larger than Workbox's 2 MiB default.
        maximumFileSizeToCacheInBytes: 16 * 2 ** 20,
        clientsClaim: true,
        skipWaiting: true,
        cleanupOutdatedCaches: true,
      },
    }),
  ],
});
