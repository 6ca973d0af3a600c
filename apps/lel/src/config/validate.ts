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

interface SchemaDef {
  type: string;
  shape?: Record<string, AnySchema>;
  element?: AnySchema;
  valueType?: AnySchema;
  options?: AnySchema[];
  discriminator?: string;
  values?: unknown[];
}

const defOf = (s: AnySchema) => (s as unknown as { def: SchemaDef }).def;

/**
 * The option of a union that describes `value`: for a discriminated union the option whose discriminator literal
 * matches the value's, else the first object option when the value is an object.
 */
function unionOption(def: SchemaDef, value: unknown): AnySchema | undefined {
  const isObject = value !== null && typeof value === 'object' && !Array.isArray(value);
  for (const o of def.options ?? []) {
    const u = unwrap(o);
    const d = defOf(u);
    if (d.type === 'union') {
      const inner = unionOption(d, value);
      if (inner) return inner;
    } else if (d.type === 'object' && isObject) {
      if (!def.discriminator) return u;
      const lit = d.shape?.[def.discriminator];
      if (lit && (defOf(unwrap(lit)).values ?? []).includes((value as Record<string, unknown>)[def.discriminator])) return u;
    }
  }
  return undefined;
}

/**
 * The sub-schema at a key path (through objects, arrays, records, and unions: the option `value`, the whole tree
 * being validated, selects), or undefined.
 */
export function schemaAt(schema: AnySchema, path: readonly PropertyKey[], value?: unknown): AnySchema | undefined {
  let s: AnySchema | undefined = unwrap(schema);
  let v = value;
  for (let i = 0; i <= path.length; i++) {
    if (!s) return undefined;
    if (defOf(s).type === 'union') {
      const option = unionOption(defOf(s), v);
      // At the end of the path an unmatched union is the answer itself (its options list what is allowed).
      if (i === path.length) return option ?? s;
      s = option;
    }
    if (!s || i === path.length) break;
    const key = path[i]!;
    const def = defOf(s);
    if (def.type === 'object' && def.shape) s = def.shape[String(key)];
    else if (def.type === 'array' && def.element) s = def.element;
    else if (def.type === 'record' && def.valueType) s = def.valueType;
    else return undefined;
    s = s ? unwrap(s) : undefined;
    v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[key as string] : undefined;
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
  errors?: RawIssue[][];
  note?: string;
  discriminator?: string;
}

/**
 * The issues of a failed union, as if the value had been checked against the option it was meant for: the option
 * whose type matches (an object, not a string) and, among those, the one with the fewest issues. Nested issue paths
 * are made absolute.
 */
function unionIssues(issue: RawIssue): RawIssue[] | undefined {
  const branches = (issue.errors ?? []).map((b) => b.map((i) => ({ ...i, path: [...issue.path, ...i.path] })));
  const typed = branches.filter((b) => !b.some((i) => i.code === 'invalid_type' && i.path.length === issue.path.length));
  if (typed.length === 0) return undefined;
  return typed.reduce((best, b) => (b.length < best.length ? b : best));
}

function valueAt(tree: unknown, path: readonly PropertyKey[]): unknown {
  let v = tree;
  for (const k of path) v = v !== null && typeof v === 'object' ? (v as Record<PropertyKey, unknown>)[k as string] : undefined;
  return v;
}

/**
 * Validate `raw` against `schema`; on failure throw a {@link ConfigError} whose every line names the dotted key,
 * what is wrong and what is allowed: the accepted keys for an unknown key (with a "did you mean"), the allowed
 * values for an enum or literal, the expected type otherwise. A union (e.g. a data source given as a path or as an
 * object) reports the problems of the option the value was meant for.
 */
export function validateWithSchema<S extends AnySchema>(schema: S, raw: unknown, source = 'config'): z.output<S> {
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  const problems: ConfigProblem[] = [];
  const report = (issue: RawIssue): void => {
    if (issue.code === 'unrecognized_keys' && issue.keys) {
      const allowed = objectKeys(schemaAt(schema, issue.path, raw));
      for (const k of issue.keys) {
        const hint = closest(k, allowed);
        problems.push({
          key: keyPath([...issue.path, k]),
          message: `unknown key${hint ? ` (did you mean "${hint}"?)` : ''}; allowed keys: ${allowed.join(', ')}`,
        });
      }
    } else if (issue.code === 'invalid_value' && issue.values) {
      problems.push({ key: keyPath(issue.path), message: `${issue.message}; allowed values: ${issue.values.map((v) => JSON.stringify(v)).join(', ')}` });
    } else if (issue.code === 'invalid_union' && issue.note === 'No matching discriminator' && issue.options) {
      const given = valueAt(raw, issue.path);
      const names = issue.options.map(String);
      const hint = typeof given === 'string' ? closest(given, names) : undefined;
      problems.push({ key: keyPath(issue.path), message: `${given === undefined ? 'missing' : `unknown ${JSON.stringify(given)}`}${hint ? ` (did you mean "${hint}"?)` : ''}; allowed values: ${names.map((v) => JSON.stringify(v)).join(', ')}` });
    } else if (issue.code === 'invalid_union') {
      const nested = unionIssues(issue);
      if (nested) {
        nested.forEach(report);
        return;
      }
      const sub = schemaAt(schema, issue.path, raw);
      const opts = literalOptions(sub);
      const expectedTypes = (i: RawIssue): (string | undefined)[] => (i.code === 'invalid_type' ? [i.expected] : (i.errors ?? []).flat().flatMap(expectedTypes));
      const expected = [...new Set((issue.errors ?? []).flat().flatMap(expectedTypes))];
      const given = valueAt(raw, issue.path);
      const what = expected.length > 0 ? `expected ${expected.join(' or ')}, got ${Array.isArray(given) ? 'array' : given === null ? 'null' : typeof given}` : issue.message;
      problems.push({ key: keyPath(issue.path), message: opts.length ? `${what}; allowed: ${opts.join(', ')}` : what });
    } else {
      problems.push({ key: keyPath(issue.path), message: issue.message });
    }
  };
  for (const issue of r.error.issues as unknown as RawIssue[]) report(issue);
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

/**
 * {@link validateWithSchema} for a value found at `key` of a larger config (e.g. a data source checked once its kind
 * is known): the problems name full keys (`data.labelled.txt`).
 */
export function validateAt<S extends AnySchema>(schema: S, raw: unknown, key: string): z.output<S> {
  try {
    return validateWithSchema(schema, raw, key);
  } catch (e) {
    if (!(e instanceof ConfigError)) throw e;
    throw new ConfigError(
      e.problems.map((p) => ({ key: p.key === '(root)' ? key : `${key}.${p.key}`, message: p.message })),
      'config',
    );
  }
}
