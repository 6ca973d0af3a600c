import { bertPreTokenize, isBertPunctuation } from './pre-tokenizer';
import { asObject, componentType, optionalBoolean, TokenizerJsonError } from './tokenizer-json-error';

/** A normalised text → words splitter compiled from a `tokenizer.json` `pre_tokenizer`. */
export type PreTokenizeFn = (text: string) => string[];

/** `pre_tokenizer` types LEL reads. */
export const SUPPORTED_PRE_TOKENIZERS = ['BertPreTokenizer', 'Whitespace', 'WhitespaceSplit', 'Punctuation', 'Digits', 'Sequence'] as const;

/** How a splitter treats the delimiters it finds (tokenizers' `SplitDelimiterBehavior`). */
export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
const BEHAVIORS: readonly SplitBehavior[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];

// Rust's char::is_whitespace.
const WHITESPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
// tokenizers' `Whitespace`: the regex `\w+|[^\w\s]+` with Rust's Unicode-aware \w and \s.
const WORD_OR_SYMBOLS = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]+|[^\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}\s]+/gu;
const DIGIT = /\p{Nd}/u;

/** Split `text` at characters where `isDelim` holds, treating them as `behavior` says (tokenizers' `split`). */
export function splitOn(text: string, isDelim: (ch: string) => boolean, behavior: SplitBehavior): string[] {
  if (behavior === 'Contiguous') return splitRuns(text, isDelim);
  const out: string[] = [];
  let cur = '';
  for (const ch of text) {
    if (!isDelim(ch)) {
      cur += ch;
      continue;
    }
    if (behavior === 'MergedWithPrevious') {
      out.push(cur + ch);
      cur = '';
      continue;
    }
    if (cur) out.push(cur);
    cur = '';
    if (behavior === 'Isolated') out.push(ch);
    else if (behavior === 'MergedWithNext') cur = ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** Runs of delimiters and runs of other characters, each one piece (`Contiguous`). */
function splitRuns(text: string, isDelim: (ch: string) => boolean): string[] {
  const out: string[] = [];
  let cur = '';
  let curIsDelim: boolean | null = null;
  for (const ch of text) {
    const d = isDelim(ch);
    if (curIsDelim !== null && d !== curIsDelim) {
      out.push(cur);
      cur = '';
    }
    cur += ch;
    curIsDelim = d;
  }
  if (cur) out.push(cur);
  return out;
}

function behaviorOf(o: Record<string, unknown>, field: string, fallback: SplitBehavior, source?: string): SplitBehavior {
  const b = o['behavior'];
  if (b === undefined || b === null) return fallback;
  if (typeof b !== 'string' || !BEHAVIORS.includes(b as SplitBehavior)) throw new TokenizerJsonError(`${field}.behavior`, `must be one of ${BEHAVIORS.join(', ')}, got ${JSON.stringify(b)}`, source);
  return b as SplitBehavior;
}

/**
 * Compile a `tokenizer.json` `pre_tokenizer` (null → the whole text is one word). Throws a
 * {@link TokenizerJsonError} naming the field for types LEL does not implement (`ByteLevel`, `Metaspace`, …).
 */
export function compilePreTokenizer(json: unknown, field = 'pre_tokenizer', source?: string): PreTokenizeFn {
  if (json === null || json === undefined) return (t) => (t ? [t] : []);
  const p = asObject(json, field, source);
  const type = componentType(p, field, source);
  switch (type) {
    case 'BertPreTokenizer':
      return bertPreTokenize;
    case 'WhitespaceSplit':
      return (t) => splitOn(t, (c) => WHITESPACE.test(c), 'Removed');
    case 'Whitespace':
      return (t) => t.match(WORD_OR_SYMBOLS) ?? [];
    case 'Punctuation': {
      const behavior = behaviorOf(p, field, 'Isolated', source);
      return (t) => splitOn(t, isBertPunctuation, behavior);
    }
    case 'Digits': {
      const individual = optionalBoolean(p, 'individual_digits', field, source) ?? false;
      return (t) => splitOn(t, (c) => DIGIT.test(c), individual ? 'Isolated' : 'Contiguous');
    }
    case 'Sequence': {
      const list = p['pretokenizers'];
      if (!Array.isArray(list)) throw new TokenizerJsonError(`${field}.pretokenizers`, 'must be a list', source);
      const fns = list.map((m, i) => compilePreTokenizer(m, `${field}.pretokenizers[${i}]`, source));
      return (t) => fns.reduce<string[]>((words, f) => words.flatMap(f), t ? [t] : []);
    }
    default:
      throw new TokenizerJsonError(`${field}.type`, `"${type}" is not supported (LEL reads: ${SUPPORTED_PRE_TOKENIZERS.join(', ')})`, source);
  }
}
