// Rust's char::is_whitespace (Unicode White_Space), which HF's BertPreTokenizer splits on.
const WHITESPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]/u;
const UNICODE_PUNCT = /\p{P}/u;

/** BERT punctuation: every ASCII non-alphanumeric printable (!-/ :-@ [-` {-~) and Unicode category P. */
export function isBertPunctuation(ch: string): boolean {
  const cp = ch.codePointAt(0)!;
  if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96) || (cp >= 123 && cp <= 126)) return true;
  return UNICODE_PUNCT.test(ch);
}

/** HF `BertPreTokenizer`: split on whitespace (dropped) and isolate every punctuation character. */
export function bertPreTokenize(text: string): string[] {
  const words: string[] = [];
  let cur = '';
  for (const ch of text) {
    if (WHITESPACE.test(ch)) {
      if (cur) words.push(cur);
      cur = '';
    } else if (isBertPunctuation(ch)) {
      if (cur) words.push(cur);
      words.push(ch);
      cur = '';
    } else cur += ch;
  }
  if (cur) words.push(cur);
  return words;
}
