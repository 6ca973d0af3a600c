/** A token matched whole in the text before WordPiece runs (tokenizers' `AddedToken`, e.g. `[MASK]`). */
export interface AddedToken {
  id: number;
  content: string;
  /** Special tokens are skipped by `decode` (default true for the five BERT specials). */
  special: boolean;
  /** Matched in the normalised text (true) or in the raw text before normalisation (false). */
  normalized: boolean;
  /** Also swallow the whitespace on its left / right. */
  lstrip: boolean;
  rstrip: boolean;
  /** Match only as a whole word (not inside a longer word). */
  singleWord: boolean;
}

/** A piece of a text after splitting on added tokens: normalised text, or an added token. */
export type AddedSplit = { text: string; token?: undefined } | { token: AddedToken; text?: undefined };

const WORD_CHAR = /[\p{Alphabetic}\p{M}\p{Nd}\p{Pc}\p{Join_Control}]/u;
const SPACE = /\s/u;
const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Matches of `tokens` in `text` (leftmost, longest first), honouring `singleWord`, `lstrip`, `rstrip`. */
function findMatches(text: string, tokens: readonly { pattern: string; token: AddedToken }[]): { start: number; end: number; token: AddedToken }[] {
  if (tokens.length === 0 || text === '') return [];
  const byPattern = new Map(tokens.map((t) => [t.pattern, t.token]));
  const patterns = [...byPattern.keys()].filter((p) => p !== '').sort((a, b) => b.length - a.length);
  if (patterns.length === 0) return [];
  const re = new RegExp(patterns.map(escapeRegExp).join('|'), 'gu');
  const out: { start: number; end: number; token: AddedToken }[] = [];
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const token = byPattern.get(m[0])!;
    let start = m.index;
    let end = start + m[0].length;
    if (token.singleWord) {
      const before = start > 0 ? text.slice(0, start).slice(-1) : '';
      const after = text.slice(end, end + 1);
      if ((before && WORD_CHAR.test(before)) || (after && WORD_CHAR.test(after))) {
        re.lastIndex = start + 1;
        continue;
      }
    }
    const floor = out.length > 0 ? out[out.length - 1]!.end : 0;
    if (token.lstrip) while (start > floor && SPACE.test(text[start - 1]!)) start--;
    if (token.rstrip) while (end < text.length && SPACE.test(text[end]!)) end++;
    out.push({ start, end, token });
    re.lastIndex = end;
  }
  return out;
}

/**
 * Split `text` on added tokens as tokenizers' `AddedVocabulary` does: tokens with `normalized: false` are
 * found in the raw text; the rest is normalised, then tokens with `normalized: true` are found in it
 * (their content normalised the same way). Pieces between tokens come back normalised.
 */
export function splitOnAddedTokens(text: string, tokens: readonly AddedToken[], normalize: (t: string) => string): AddedSplit[] {
  const raw = tokens.filter((t) => !t.normalized).map((token) => ({ pattern: token.content, token }));
  const norm = tokens.filter((t) => t.normalized).map((token) => ({ pattern: normalize(token.content), token }));
  const out: AddedSplit[] = [];
  const splitNormalized = (piece: string) => {
    const n = normalize(piece);
    let pos = 0;
    for (const m of findMatches(n, norm)) {
      if (m.start > pos) out.push({ text: n.slice(pos, m.start) });
      out.push({ token: m.token });
      pos = m.end;
    }
    if (pos < n.length) out.push({ text: n.slice(pos) });
  };
  let pos = 0;
  for (const m of findMatches(text, raw)) {
    if (m.start > pos) splitNormalized(text.slice(pos, m.start));
    out.push({ token: m.token });
    pos = m.end;
  }
  if (pos < text.length) splitNormalized(text.slice(pos));
  return out;
}
