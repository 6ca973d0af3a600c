import { registerSW } from 'virtual:pwa-register';

/**
 * Registers the page's service worker (generated at build time by vite-plugin-pwa / Workbox: it precaches the app
 * shell, the workers, the wasm binaries and the shipped data, so the page loads and trains offline once loaded).
 * `report` gets `registered` once everything is cached, or the reason it is not (no service workers here, an error).
 * In `vite dev` there is no service worker (the plugin's dev mode is off), and nothing is reported.
 */
export function registerOffline(report: (state: string) => void): void {
  if (!('serviceWorker' in navigator)) {
    report('no service worker in this browser');
    return;
  }
  registerSW({
    immediate: true,
    // First visit: once the precache is complete. Later visits: the worker is already active (and the cache full).
    onOfflineReady: () => report('registered'),
    onRegisteredSW: (_url: string, registration: ServiceWorkerRegistration | undefined) => {
      if (registration?.active) report('registered');
    },
    onRegisterError: (e: unknown) => report(`service worker failed: ${e instanceof Error ? e.message : String(e)}`),
  });
}
