/**
 * An error about one field of a `tokenizer.json`: the message names the file (when known), the field's path
 * (`normalizer.normalizers[1].type`) and what is wrong, so a user knows which setting LEL does not support.
 */
export class TokenizerJsonError extends Error {
  constructor(
    readonly field: string,
    problem: string,
    readonly source = 'tokenizer.json',
  ) {
    super(`${source}: ${field} ${problem}`);
    this.name = 'TokenizerJsonError';
  }
}

/** A JSON object (for walking a parsed `tokenizer.json`). */
export type JsonObject = Record<string, unknown>;

/** `value` as an object, or a {@link TokenizerJsonError} naming `field`. */
export function asObject(value: unknown, field: string, source?: string): JsonObject {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new TokenizerJsonError(field, `must be an object, got ${JSON.stringify(value)}`, source);
  return value as JsonObject;
}

/** The `type` of a component object (`normalizer`, `pre_tokenizer`, …). */
export function componentType(value: JsonObject, field: string, source?: string): string {
  const t = value['type'];
  if (typeof t !== 'string') throw new TokenizerJsonError(`${field}.type`, `must be a string, got ${JSON.stringify(t)}`, source);
  return t;
}

/** An optional boolean field (`undefined` when absent or null). */
export function optionalBoolean(o: JsonObject, key: string, field: string, source?: string): boolean | undefined {
  const v = o[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'boolean') throw new TokenizerJsonError(`${field}.${key}`, `must be true, false or null, got ${JSON.stringify(v)}`, source);
  return v;
}
