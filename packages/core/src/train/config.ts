import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import type { z } from 'zod';

/** One problem found by {@link validateConfig}: the dotted key path and the reason. */
export interface ConfigIssue {
  /** Dotted path of the offending key (`optim.lr`, `layers[2].size`); `(root)` for the whole config. */
  path: string;
  message: string;
}

/** Thrown by {@link validateConfig}; `issues` lists every bad key with its reason. */
export class ConfigValidationError extends Error {
  readonly issues: ConfigIssue[];
  constructor(issues: ConfigIssue[], source?: string) {
    const where = source ? ` in ${source}` : '';
    const list = issues.map((i) => `  - ${i.path}: ${i.message}`).join('\n');
    super(`Invalid config${where} (${issues.length} problem${issues.length === 1 ? '' : 's'}):\n${list}`);
    this.name = 'ConfigValidationError';
    this.issues = issues;
  }
}

/** Formats a key path as `a.b[0].c`. */
export function formatKeyPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const k of path) {
    if (typeof k === 'number') out += `[${k}]`;
    else out += out ? `.${String(k)}` : String(k);
  }
  return out || '(root)';
}

interface RawIssue {
  path: PropertyKey[];
  message: string;
  code?: string;
  keys?: string[];
}

/**
 * Validate a raw config (parsed JSON/YAML plus overrides) against a zod schema before any work starts.
 * Returns the typed, defaulted config, or throws a {@link ConfigValidationError} naming every bad key path
 * and the reason (unknown keys of strict objects are named one by one).
 *
 * @example
 * const Config = z.object({ lr: z.number().positive(), epochs: z.number().int() }).strict();
 * const cfg = validateConfig(Config, JSON.parse(text), { source: 'run.json' });
 */
export function validateConfig<S extends z.ZodType>(schema: S, raw: unknown, options: { source?: string } = {}): z.output<S> {
  const result = schema.safeParse(raw);
  if (result.success) return result.data;
  const issues: ConfigIssue[] = [];
  for (const issue of result.error.issues as unknown as RawIssue[]) {
    if (issue.code === 'unrecognized_keys' && Array.isArray(issue.keys)) {
      for (const key of issue.keys) issues.push({ path: formatKeyPath([...issue.path, key]), message: 'unknown key' });
    } else {
      issues.push({ path: formatKeyPath(issue.path), message: issue.message });
    }
  }
  throw new ConfigValidationError(issues, options.source);
}

/** JSON with object keys sorted recursively, so equal configs always serialise identically. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value as object).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortKeys(v);
    }
    return out;
  }
  return value;
}

/**
 * SHA-256 (hex) of the config's canonical JSON: the identity saved in checkpoint manifests. Computed with
 * `@noble/hashes` (synchronous in a page too, where Web Crypto's digest is async only); same digest as node:crypto.
 */
export function hashConfig(config: unknown): string {
  return bytesToHex(sha256(utf8ToBytes(canonicalJson(config ?? null))));
}
