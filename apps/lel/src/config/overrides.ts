import { parseYamlGuarded } from './yaml-guard';

/** A plain config tree (what YAML/JSON parse to). */
export type ConfigTree = Record<string, unknown>;

/**
 * Parse one `--set key=value` into its dotted path and a typed value. The value is read as a YAML scalar or
 * flow collection, so `0.1` → number, `true` → boolean, `null` → null, `[16, 32]` → array, `{a: 1}` → object,
 * and anything else stays a string (quote it, `"'007'"`, to force a string).
 */
export function parseOverride(arg: string): { path: string[]; value: unknown } {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw new Error(`--set ${JSON.stringify(arg)}: expected key=value (for example --set train.maxSteps=20)`);
  const key = arg.slice(0, eq).trim();
  const path = key.split('.');
  if (path.some((p) => p.length === 0)) throw new Error(`--set ${JSON.stringify(arg)}: the key "${key}" has an empty segment`);
  if (path.some((p) => p === '__proto__' || p === 'constructor' || p === 'prototype')) throw new Error(`--set: key "${key}" is not allowed`);
  const raw = arg.slice(eq + 1);
  let value: unknown = raw;
  if (raw.trim() !== '') {
    try {
      value = parseYamlGuarded(raw, `--set ${key}`);
    } catch (e) {
      if ((e as Error).message.startsWith(`--set ${key}:`)) throw e; // over a limit
      value = raw; // not YAML: keep the text as given
    }
  }
  return { path, value };
}

/**
 * Set `value` at a dotted path in `tree`, creating objects on the way; a non-object in the way is an error naming it.
 * A data source given as a path string (`data.labelled: ./voc`) becomes `{ path: ./voc }` when a key is set under it
 * (`--set data.labelled.fraction=0.25`).
 */
export function setPath(tree: ConfigTree, path: string[], value: unknown): void {
  let node: ConfigTree = tree;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    const next = node[k];
    if (next === undefined || next === null) node[k] = {};
    else if (typeof next === 'string' && path[0] === 'data' && i === 1) node[k] = { path: next };
    else if (typeof next !== 'object' || Array.isArray(next)) {
      throw new Error(`--set ${path.join('.')}: "${path.slice(0, i + 1).join('.')}" is ${JSON.stringify(next)}, not a section`);
    }
    node = node[k] as ConfigTree;
  }
  node[path[path.length - 1]!] = value;
}

/** Apply `--set` overrides in order (later ones win). Returns a new tree. */
export function applyOverrides(tree: ConfigTree, sets: readonly string[]): ConfigTree {
  const out = structuredClone(tree);
  for (const s of sets) {
    const { path, value } = parseOverride(s);
    setPath(out, path, value);
  }
  return out;
}

function isPlainObject(v: unknown): v is ConfigTree {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A mapping that names a data source (`source:` or `path:`): it replaces the one below instead of merging into it. */
function namesSource(v: ConfigTree): boolean {
  return 'source' in v || 'path' in v;
}

/**
 * Deep merge: objects merge key by key, everything else (arrays included) is replaced by `over`. A mapping that names
 * a data source (`{ source: voc, path: … }`, `{ path: … }`) replaces the recipe's source as a whole, so none of the
 * embedded source's keys leak into it; `{ n: 128 }` still tweaks the source below.
 */
export function deepMerge(base: ConfigTree, over: ConfigTree): ConfigTree {
  const out: ConfigTree = structuredClone(base);
  for (const [k, v] of Object.entries(over)) {
    const b = out[k];
    out[k] = isPlainObject(b) && isPlainObject(v) && !namesSource(v) ? deepMerge(b, v) : structuredClone(v);
  }
  return out;
}
