import { bertNormalize, type BertNormalizerOptions } from './normalizer';
import { asObject, componentType, optionalBoolean, TokenizerJsonError, type JsonObject } from './tokenizer-json-error';

/** A text → text normaliser compiled from a `tokenizer.json` `normalizer`. */
export type NormalizeFn = (text: string) => string;

/** `normalizer` types LEL reads (those Hugging Face's WordPiece/BERT tokenizers write, and simple ones). */
export const SUPPORTED_NORMALIZERS = ['BertNormalizer', 'Sequence', 'NFC', 'NFD', 'NFKC', 'NFKD', 'Lowercase', 'StripAccents', 'Strip', 'Replace', 'Prepend'] as const;

const MARK_NONSPACING = /\p{Mn}/gu;
// Rust's char::is_whitespace, which `Strip` trims.
const RUST_WHITESPACE = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]';

/** The options of a `BertNormalizer` entry, as {@link bertNormalize} takes them. */
export function bertNormalizerOptions(n: JsonObject, field: string, source?: string): BertNormalizerOptions {
  const opts: BertNormalizerOptions = {};
  const clean = optionalBoolean(n, 'clean_text', field, source);
  const chinese = optionalBoolean(n, 'handle_chinese_chars', field, source);
  const lower = optionalBoolean(n, 'lowercase', field, source);
  if (clean !== undefined) opts.cleanText = clean;
  if (chinese !== undefined) opts.handleChineseChars = chinese;
  if (lower !== undefined) opts.lowercase = lower;
  // null: follow `lowercase` (tokenizers' rule), which bertNormalize does for null.
  opts.stripAccents = optionalBoolean(n, 'strip_accents', field, source) ?? null;
  return opts;
}

/**
 * Compile a `tokenizer.json` `normalizer` (null → identity). Throws a {@link TokenizerJsonError} naming the
 * field for a type LEL does not implement (e.g. SentencePiece's `Precompiled`) or a malformed entry.
 */
export function compileNormalizer(json: unknown, field = 'normalizer', source?: string): NormalizeFn {
  if (json === null || json === undefined) return (t) => t;
  const n = asObject(json, field, source);
  const type = componentType(n, field, source);
  switch (type) {
    case 'BertNormalizer': {
      const opts = bertNormalizerOptions(n, field, source);
      return (t) => bertNormalize(t, opts);
    }
    case 'Sequence': {
      const list = n['normalizers'];
      if (!Array.isArray(list)) throw new TokenizerJsonError(`${field}.normalizers`, 'must be a list', source);
      const fns = list.map((m, i) => compileNormalizer(m, `${field}.normalizers[${i}]`, source));
      return (t) => fns.reduce((s, f) => f(s), t);
    }
    case 'NFC':
    case 'NFD':
    case 'NFKC':
    case 'NFKD':
      return (t) => t.normalize(type);
    case 'Lowercase':
      // Per character, as Rust's char::to_lowercase (no final-sigma rule).
      return (t) => Array.from(t, (c) => c.toLowerCase()).join('');
    case 'StripAccents':
      // tokenizers removes combining marks only; an NFD normaliser before it does the decomposing.
      return (t) => t.replace(MARK_NONSPACING, '');
    case 'Strip': {
      const left = optionalBoolean(n, 'strip_left', field, source) ?? true;
      const right = optionalBoolean(n, 'strip_right', field, source) ?? true;
      const l = new RegExp(`^${RUST_WHITESPACE}+`, 'u');
      const r = new RegExp(`${RUST_WHITESPACE}+$`, 'u');
      return (t) => {
        let s = t;
        if (left) s = s.replace(l, '');
        if (right) s = s.replace(r, '');
        return s;
      };
    }
    case 'Replace': {
      const pattern = asObject(n['pattern'], `${field}.pattern`, source);
      const content = n['content'];
      if (typeof content !== 'string') throw new TokenizerJsonError(`${field}.content`, 'must be a string', source);
      if (typeof pattern['String'] !== 'string') {
        throw new TokenizerJsonError(`${field}.pattern`, `${JSON.stringify(pattern)} is not supported: only {"String": …} patterns (Oniguruma regexes are not reproduced exactly in JavaScript)`, source);
      }
      const from = pattern['String'];
      return (t) => (from === '' ? t : t.split(from).join(content));
    }
    case 'Prepend': {
      const prepend = n['prepend'];
      if (typeof prepend !== 'string') throw new TokenizerJsonError(`${field}.prepend`, 'must be a string', source);
      return (t) => (t === '' ? t : prepend + t);
    }
    default:
      throw new TokenizerJsonError(`${field}.type`, `"${type}" is not supported (LEL reads: ${SUPPORTED_NORMALIZERS.join(', ')})`, source);
  }
}

/** The `BertNormalizer` inside a normaliser (itself or a `Sequence` entry), or null. */
export function findBertNormalizer(json: unknown): JsonObject | null {
  if (typeof json !== 'object' || json === null) return null;
  const n = json as JsonObject;
  if (n['type'] === 'BertNormalizer') return n;
  if (n['type'] === 'Sequence' && Array.isArray(n['normalizers'])) {
    for (const m of n['normalizers']) {
      const found = findBertNormalizer(m);
      if (found) return found;
    }
  }
  return null;
}
