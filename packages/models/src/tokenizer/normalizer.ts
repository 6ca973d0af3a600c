/** Options of the BERT normaliser (Hugging Face `BertNormalizer`). */
export interface BertNormalizerOptions {
  /** Drop control characters, U+0000 and U+FFFD; map whitespace to a space. Default true. */
  cleanText?: boolean;
  /** Surround CJK ideographs with spaces so each becomes its own word. Default true. */
  handleChineseChars?: boolean;
  /** NFD-decompose and drop combining marks (Mn). Default: follows `lowercase` (as HF when unset). */
  stripAccents?: boolean | null;
  /** Lower-case the text. Default true (uncased BERT). */
  lowercase?: boolean;
}

// Category C (Cc, Cf, Cs, Co, Cn) — HF's `is_control` treats \t \n \r as whitespace, not control.
const CONTROL = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}]/u;
const BERT_WHITESPACE = /[\t\n\r\p{Zs}]/u;
const MARK_NONSPACING = /\p{Mn}/gu;

/** Whether a code point lies in the CJK ideograph blocks BERT pads with spaces (not kana or hangul). */
export function isCjkIdeograph(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b820 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}

/**
 * The uncased-BERT normaliser, in HF tokenizers' order: clean text, pad CJK ideographs, strip accents
 * (NFD, drop Mn), lowercase.
 */
export function bertNormalize(text: string, options: BertNormalizerOptions = {}): string {
  const cleanText = options.cleanText ?? true;
  const handleChinese = options.handleChineseChars ?? true;
  const lowercase = options.lowercase ?? true;
  const stripAccents = options.stripAccents ?? lowercase;
  let out = '';
  for (const ch of text) {
    const cp = ch.codePointAt(0)!;
    if (cleanText) {
      if (cp === 0 || cp === 0xfffd) continue;
      if (BERT_WHITESPACE.test(ch)) {
        out += ' ';
        continue;
      }
      if (CONTROL.test(ch)) continue;
    }
    if (handleChinese && isCjkIdeograph(cp)) out += ` ${ch} `;
    else out += ch;
  }
  if (stripAccents) out = out.normalize('NFD').replace(MARK_NONSPACING, '');
  if (lowercase) out = out.toLowerCase();
  return out;
}
