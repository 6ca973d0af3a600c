import { initBackend, setGlobalSeed, type BackendInfo, type BackendName } from '@lel/core';

import { BACKEND_CHOICES } from './cli-options';

export { BACKEND_CHOICES };
export type BackendChoice = (typeof BACKEND_CHOICES)[number];

/** Parse `--backend`, naming the allowed values on error. */
export function parseBackend(value: string | undefined): BackendChoice {
  const v = value ?? process.env.LEL_BACKEND ?? 'auto';
  if (!(BACKEND_CHOICES as readonly string[]).includes(v)) throw new Error(`--backend ${JSON.stringify(v)}: allowed values: ${BACKEND_CHOICES.join(', ')}`);
  return v as BackendChoice;
}

/** Initialise the tfjs backend quietly (the banner reports it) and seed the process-wide generator. */
export async function setupBackend(choice: BackendChoice, seed?: number): Promise<BackendInfo> {
  const info = await initBackend({ backend: choice === 'auto' ? 'auto' : (choice as BackendName), log: null });
  if (seed !== undefined) setGlobalSeed(seed);
  return info;
}
