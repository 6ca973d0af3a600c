import { createHash } from 'node:crypto';

/**
 * Config keys that only change what a run writes into its folder (how often it logs and checkpoints, how many
 * checkpoints it keeps), never the weights or the numbers it reports: they are left out of a run's id, so changing
 * them in a spec does not re-run finished runs.
 */
export const RUN_DIR_ONLY_KEYS: readonly string[] = ['train.logEvery', 'train.checkpointEvery', 'train.keepLast'];

/** Bumped only if the id scheme itself changes (it would re-run every sweep). */
const ID_SCHEME = 'lel-sweep-run/1';

/** Characters of the SHA-256 hex digest kept in an id (48 bits: collisions need ~16 million runs in one folder). */
const ID_LENGTH = 12;

/** JSON with every object's keys sorted (arrays keep their order), so equal configs give equal text. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/** A copy of `config` without the {@link RUN_DIR_ONLY_KEYS}. */
export function withoutRunDirKeys(config: unknown): unknown {
  const copy = structuredClone(config) as Record<string, unknown>;
  for (const key of RUN_DIR_ONLY_KEYS) {
    const parts = key.split('.');
    let node: unknown = copy;
    for (const p of parts.slice(0, -1)) node = node !== null && typeof node === 'object' ? (node as Record<string, unknown>)[p] : undefined;
    if (node !== null && typeof node === 'object') delete (node as Record<string, unknown>)[parts[parts.length - 1]!];
  }
  return copy;
}

/**
 * The stable id of a run: the SHA-256 of its canonical resolved config (the recipe name included, the
 * {@link RUN_DIR_ONLY_KEYS} left out), first 12 hex digits. The same config gives the same id on every machine,
 * so a re-submitted sweep finds the runs it already has.
 */
export function runId(resolvedConfig: unknown): string {
  return createHash('sha256').update(ID_SCHEME).update('\n').update(canonicalJson(withoutRunDirKeys(resolvedConfig))).digest('hex').slice(0, ID_LENGTH);
}
