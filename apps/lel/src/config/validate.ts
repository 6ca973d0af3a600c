import { z } from 'zod';

/** One problem in a config: the dotted key and what is wrong, with the allowed values when known. */
export interface ConfigProblem {
  key: string;
  message: string;
}

/** A config that failed its schema; the message lists every problem, one per line. */
export class ConfigError extends Error {
  constructor(
    readonly problems: ConfigProblem[],
    readonly source: string,
  ) {
    super(`${source} is invalid:\n${problems.map((p) => `  - ${p.key}: ${p.message}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

type AnySchema = z.ZodType;

/** Strip wrappers (default, optional, nullable, prefault, pipe…) to reach the schema that describes the value. */
function unwrap(schema: AnySchema): AnySchema {
  let s = schema;
  for (let i = 0; i < 20; i++) {
    const def = (s as unknown as { def: { type: string; innerType?: AnySchema; in?: AnySchema } }).def;
    if (def.innerType) s = def.innerType;
    else if (def.type === 'pipe' && def.in) s = def.in;
    else break;
  }
  return s;
}

/** The sub-schema at a key path (through objects, arrays, records), or undefined. */
export function schemaAt(schema: AnySchema, path: readonly PropertyKey[]): AnySchema | undefined {
  let s: AnySchema | undefined = unwrap(schema);
  for (const key of path) {
    if (!s) return undefined;
    const def: { type: string; shape?: Record<string, AnySchema>; element?: AnySchema; valueType?: AnySchema } = (s as unknown as { def: { type: string } }).def;
    if (def.type === 'object' && def.shape) s = def.shape[String(key)];
    else if (def.type === 'array' && def.element) s = def.element;
    else if (def.type === 'record' && def.valueType) s = def.valueType;
    else return undefined;
    s = s ? unwrap(s) : undefined;
  }
  return s;
}

/** Keys an object schema accepts. */
export function objectKeys(schema: AnySchema | undefined): string[] {
  if (!schema) return [];
  const def = (unwrap(schema) as unknown as { def: { type: string; shape?: Record<string, AnySchema> } }).def;
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : [];
}

/** Closest allowed key by edit distance (for "did you mean"). */
function closest(word: string, options: string[]): string | undefined {
  let best: string | undefined;
  let bestD = Infinity;
  for (const o of options) {
    const d = editDistance(word.toLowerCase(), o.toLowerCase());
    if (d < bestD) {
      bestD = d;
      best = o;
    }
  }
  return best !== undefined && bestD <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const dp = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = dp[0]!;
    dp[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = dp[j]!;
      dp[j] = Math.min(dp[j]! + 1, dp[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return dp[b.length]!;
}

function keyPath(path: readonly PropertyKey[]): string {
  return path.length === 0 ? '(root)' : path.map(String).join('.');
}

interface RawIssue {
  code: string;
  path: PropertyKey[];
  message: string;
  keys?: string[];
  values?: unknown[];
  expected?: string;
  options?: unknown[];
}

/**
 * Validate `raw` against `schema`; on failure throw a {@link ConfigError} whose every line names the dotted key,
 * what is wrong and what is allowed: the accepted keys for an unknown key (with a "did you mean"), the allowed
 * values for an enum or literal, the expected type otherwise.
 */
export function validateWithSchema<S extends AnySchema>(schema: S, raw: unknown, source = 'config'): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const problems: ConfigProblem[] = [];
  for (const issue of r.error.issues as unknown as RawIssue[]) {
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      const allowed = objectKeys(schemaAt(schema, issue.path));
      for (const k of issue.keys) {
        const hint = closest(k, allowed);
        problems.push({
          key: keyPath([...issue.path, k]),
          message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; allowed keys: ${allowed.join(', ')}`,
        });
      }
    } else if (issue.code === 'invalid_value' && issue.values) {
      problems.push({ key: keyPath(issue.path), message: `${issue.message}; allowed values: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` });
    } else if (issue.code === 'invalid_union') {
      const sub = schemaAt(schema, issue.path);
      const opts = literalOptions(sub);
      problems.push({ key: keyPath(issue.path), message: opts.length ? `${issue.message}; allowed: ${opts.join(', ')}` : issue.message });
    } else {
      problems.push({ key: keyPath(issue.path), message: issue.message });
    }
  }
  throw new ConfigError(problems, source);
}

/** For a discriminated union of objects, the accepted discriminator values (e.g. `method: "kd" | …`). */
function literalOptions(schema: AnySchema | undefined): string[] {
  if (!schema) return [];
  const def = (schema as unknown as { def: { type: string; options?: AnySchema[]; discriminator?: string } }).def;
  if (def.type !== 'union' || !def.options) return [];
  const disc = def.discriminator;
  if (!disc) return [];
  return def.options.flatMap((o) => {
    const lit = schemaAt(o, [disc]) as unknown as { def?: { values?: unknown[] } } | undefined;
    return (lit?.def?.values ?? []).map((v) => `${disc}=${JSON.stringify(v)}`);
  });
}
