import type { AddedToken } from './added-tokens';
import { splitOnAddedTokens } from './added-tokens';
import { bertNormalize, type BertNormalizerOptions } from './normalizer';
import { bertPreTokenize } from './pre-tokenizer';
import { bertTemplate, specialTokenCount, type PostProcessor, type TemplatePiece } from './post-processor';
import { parseTokenizerJson } from './tokenizer-json';

/** Configuration of a {@link WordPieceTokenizer}; defaults are bert-base-uncased's. */
export interface WordPieceConfig extends BertNormalizerOptions {
  /** Token for words that cannot be split into vocabulary pieces. Default `[UNK]`. */
  unkToken?: string;
  /** Prefix of word-internal pieces. Default `##`. */
  continuingSubwordPrefix?: string;
  /** Longer words (in code points) become `unkToken`. Default 100. */
  maxInputCharsPerWord?: number;
  /** Default `[CLS]`. */
  clsToken?: string;
  /** Default `[SEP]`. */
  sepToken?: string;
  /** Default `[PAD]`. */
  padToken?: string;
  /** Default `[MASK]`. */
  maskToken?: string;
  /** Normaliser replacing the BERT one built from the options above (e.g. compiled from `tokenizer.json`). */
  normalizer?: (text: string) => string;
  /** Pre-tokeniser (normalised text → words). Default BERT's: whitespace and punctuation. */
  preTokenizer?: (text: string) => string[];
  /** Tokens matched whole in the text. Default: the five special tokens above (those in the vocabulary). */
  addedTokens?: AddedToken[];
  /** How special tokens frame sequences. Default `[CLS] A [SEP] (B [SEP])`; null adds none. */
  postProcessor?: PostProcessor | null;
  /** `decode` removes spaces before punctuation and in contractions (HF `cleanup`). Default true. */
  cleanupTokenization?: boolean;
}

type ResolvedConfig = Required<Omit<WordPieceConfig, 'stripAccents' | 'normalizer' | 'preTokenizer' | 'addedTokens' | 'postProcessor'>> & { stripAccents: boolean | null };

/** Truncation strategy; `true` means HF's `longest_first`. */
export type TruncationStrategy = boolean | 'longest_first' | 'only_first' | 'only_second';
/** Padding: `'max_length'` pads to `maxLength`; `'longest'` (batches) to the longest row; `false` none. */
export type PaddingStrategy = boolean | 'max_length' | 'longest';

/** Options of {@link WordPieceTokenizer.encode}. */
export interface EncodeOptions {
  /** Second segment (token type 1). */
  textPair?: string | null;
  /** Add `[CLS] A [SEP] (B [SEP])`. Default true. */
  addSpecialTokens?: boolean;
  /** Length limit (special tokens included) for truncation and `'max_length'` padding. */
  maxLength?: number | null;
  /** Default: `'longest_first'` when `maxLength` is set, else none. */
  truncation?: TruncationStrategy;
  /** Default false for `encode`, `'longest'` for `encodeBatch`. `true` means `'max_length'` when `maxLength` is set. */
  padding?: PaddingStrategy;
}

/** One encoded sequence. */
export interface Encoding {
  tokens: string[];
  inputIds: number[];
  tokenTypeIds: number[];
  attentionMask: number[];
}

/** Encoded rows of a batch, all of one length when padded. */
export interface BatchEncoding {
  inputIds: number[][];
  tokenTypeIds: number[][];
  attentionMask: number[][];
}

/**
 * BERT's WordPiece tokenizer with Hugging Face `tokenizers` semantics: BertNormalizer, BertPreTokenizer
 * (whitespace + punctuation), greedy longest-match-first WordPiece, `[CLS] A [SEP] (B [SEP])` with token
 * types, `longest_first` truncation, padding and attention mask. Special tokens written literally in the
 * text (`[MASK]`) are kept whole, as HF does for its added special tokens.
 */
export class WordPieceTokenizer {
  /** Token strings by id. */
  readonly vocab: readonly string[];
  private readonly ids: Map<string, number>;
  private readonly cfg: ResolvedConfig;
  private readonly normalizer: (text: string) => string;
  private readonly preTokenizer: (text: string) => string[];
  /** Tokens matched whole in the text (`[MASK]`, …). */
  readonly addedTokens: readonly AddedToken[];
  /** Special-token templates for one sequence and a pair. */
  readonly postProcessor: PostProcessor;

  constructor(vocab: readonly string[], config: WordPieceConfig = {}) {
    this.vocab = [...vocab];
    this.ids = new Map();
    vocab.forEach((t, i) => {
      if (!this.ids.has(t)) this.ids.set(t, i);
    });
    this.cfg = {
      cleanText: config.cleanText ?? true,
      handleChineseChars: config.handleChineseChars ?? true,
      lowercase: config.lowercase ?? true,
      stripAccents: config.stripAccents ?? null,
      unkToken: config.unkToken ?? '[UNK]',
      continuingSubwordPrefix: config.continuingSubwordPrefix ?? '##',
      maxInputCharsPerWord: config.maxInputCharsPerWord ?? 100,
      clsToken: config.clsToken ?? '[CLS]',
      sepToken: config.sepToken ?? '[SEP]',
      padToken: config.padToken ?? '[PAD]',
      maskToken: config.maskToken ?? '[MASK]',
      cleanupTokenization: config.cleanupTokenization ?? true,
    };
    // The BERT template needs [CLS]/[SEP], and the default pipeline pads with [PAD]; a template from a
    // tokenizer.json carries its own ids, and padding checks its token when it pads.
    const required = config.postProcessor === undefined ? (['unkToken', 'clsToken', 'sepToken', 'padToken'] as const) : (['unkToken'] as const);
    for (const key of required) {
      if (!this.ids.has(this.cfg[key])) {
        throw new Error(`WordPieceTokenizer: ${key} "${this.cfg[key]}" is not in the vocabulary (${vocab.length} tokens)`);
      }
    }
    const normOptions: BertNormalizerOptions = { cleanText: this.cfg.cleanText, handleChineseChars: this.cfg.handleChineseChars, lowercase: this.cfg.lowercase, stripAccents: this.cfg.stripAccents };
    this.normalizer = config.normalizer ?? ((t) => bertNormalize(t, normOptions));
    this.preTokenizer = config.preTokenizer ?? bertPreTokenize;
    this.addedTokens =
      config.addedTokens ??
      this.specialTokens
        .filter((t) => this.ids.has(t))
        .map((content) => ({ id: this.ids.get(content)!, content, special: true, normalized: false, lstrip: false, rstrip: false, singleWord: false }));
    this.postProcessor =
      config.postProcessor === undefined
        ? bertTemplate([this.cfg.clsToken, this.clsId], [this.cfg.sepToken, this.sepId])
        : (config.postProcessor ?? { single: [{ sequence: 'A', typeId: 0 }], pair: [{ sequence: 'A', typeId: 0 }, { sequence: 'B', typeId: 1 }] });
  }

  /** The tokenizer's configuration (with defaults filled in). */
  get config(): Readonly<WordPieceConfig> {
    return { ...this.cfg };
  }

  /** Number of tokens in the vocabulary. */
  get vocabSize(): number {
    return this.vocab.length;
  }

  /** `[CLS]`, `[SEP]`, `[PAD]`, `[UNK]`, `[MASK]` (as configured). */
  get specialTokens(): string[] {
    const c = this.cfg;
    return [c.padToken, c.unkToken, c.clsToken, c.sepToken, c.maskToken];
  }

  /** Id of a token; throws when the token is not in the vocabulary. */
  tokenToId(token: string): number {
    const id = this.ids.get(token);
    if (id === undefined) throw new Error(`WordPieceTokenizer: token "${token}" is not in the vocabulary`);
    return id;
  }

  /** Id of a token or undefined. */
  maybeTokenToId(token: string): number | undefined {
    return this.ids.get(token);
  }

  /** Token string of an id; throws when out of range. */
  idToToken(id: number): string {
    const t = this.vocab[id];
    if (t === undefined) throw new Error(`WordPieceTokenizer: id ${id} is out of range [0, ${this.vocab.length})`);
    return t;
  }

  get padId(): number {
    return this.tokenToId(this.cfg.padToken);
  }
  get unkId(): number {
    return this.tokenToId(this.cfg.unkToken);
  }
  get clsId(): number {
    return this.tokenToId(this.cfg.clsToken);
  }
  get sepId(): number {
    return this.tokenToId(this.cfg.sepToken);
  }
  /** Id of `[MASK]`; throws when the vocabulary has none. */
  get maskId(): number {
    return this.tokenToId(this.cfg.maskToken);
  }

  /** Normalise as configured (BertNormalizer by default, or the `tokenizer.json` normaliser). */
  normalize(text: string): string {
    return this.normalizer(text);
  }

  /** Split normalised text into words as configured. */
  preTokenize(text: string): string[] {
    return this.preTokenizer(text);
  }

  /** Split one pre-tokenised word into WordPiece tokens (`[UNK]` when it cannot be matched or is too long). */
  wordPiece(word: string): string[] {
    const chars = Array.from(word);
    if (chars.length > this.cfg.maxInputCharsPerWord) return [this.cfg.unkToken];
    const out: string[] = [];
    let start = 0;
    while (start < chars.length) {
      let end = chars.length;
      let piece: string | null = null;
      while (start < end) {
        let sub = chars.slice(start, end).join('');
        if (start > 0) sub = this.cfg.continuingSubwordPrefix + sub;
        if (this.ids.has(sub)) {
          piece = sub;
          break;
        }
        end--;
      }
      if (piece === null) return [this.cfg.unkToken];
      out.push(piece);
      start = end;
    }
    return out;
  }

  /** Text → WordPiece tokens, without special tokens, truncation or padding. */
  tokenize(text: string): string[] {
    return this.tokenizeToPieces(text).map((p) => p.token);
  }

  /** Tokens with their ids (added tokens keep their own ids). */
  private tokenizeToPieces(text: string): { token: string; id: number }[] {
    const out: { token: string; id: number }[] = [];
    for (const part of splitOnAddedTokens(text, this.addedTokens, this.normalizer)) {
      if (part.token) {
        out.push({ token: part.token.content, id: part.token.id });
        continue;
      }
      for (const word of this.preTokenizer(part.text)) for (const t of this.wordPiece(word)) out.push({ token: t, id: this.ids.get(t) ?? this.unkId });
    }
    return out;
  }

  /** Number of ids the template adds to one sequence (`pair` false) or a pair. */
  numSpecialTokens(pair: boolean): number {
    return specialTokenCount(pair ? this.postProcessor.pair : this.postProcessor.single);
  }

  /** Encode one text (or a pair) into ids, token types and attention mask. */
  encode(text: string, options: EncodeOptions = {}): Encoding {
    const addSpecial = options.addSpecialTokens ?? true;
    const maxLength = options.maxLength ?? null;
    const pair = options.textPair ?? null;
    let a = this.tokenizeToPieces(text);
    let b = pair === null ? null : this.tokenizeToPieces(pair);
    const truncation = options.truncation ?? (maxLength !== null ? 'longest_first' : false);
    if (truncation !== false) {
      if (maxLength === null) throw new Error('WordPieceTokenizer.encode: truncation needs maxLength');
      const nSpecial = addSpecial ? this.numSpecialTokens(b !== null) : 0;
      const budget = maxLength - nSpecial;
      if (budget < 0) throw new Error(`WordPieceTokenizer.encode: maxLength ${maxLength} cannot hold the ${nSpecial} special tokens`);
      [a, b] = truncatePair(a, b, budget, truncation === true ? 'longest_first' : truncation);
    }
    const template: TemplatePiece[] = addSpecial
      ? b
        ? this.postProcessor.pair
        : this.postProcessor.single
      : b
        ? [{ sequence: 'A', typeId: 0 }, { sequence: 'B', typeId: 1 }]
        : [{ sequence: 'A', typeId: 0 }];
    const enc: Encoding = { tokens: [], inputIds: [], tokenTypeIds: [], attentionMask: [] };
    const push = (token: string, id: number, typeId: number) => {
      enc.tokens.push(token);
      enc.inputIds.push(id);
      enc.tokenTypeIds.push(typeId);
      enc.attentionMask.push(1);
    };
    for (const piece of template) {
      if ('special' in piece) piece.special.ids.forEach((id, i) => push(piece.special.tokens[i]!, id, piece.typeId));
      else for (const t of (piece.sequence === 'A' ? a : b) ?? []) push(t.token, t.id, piece.typeId);
    }
    const padding = options.padding ?? false;
    if (padding === 'max_length' || (padding === true && maxLength !== null)) {
      if (maxLength === null) throw new Error("WordPieceTokenizer.encode: padding 'max_length' needs maxLength");
      this.padTo(enc, maxLength);
    }
    return enc;
  }

  /**
   * Encode a batch of texts or `[text, pair]` tuples; pads to the longest row by default (or to
   * `maxLength` with `padding: 'max_length'`).
   */
  encodeBatch(texts: readonly (string | readonly [string, string])[], options: Omit<EncodeOptions, 'textPair'> = {}): BatchEncoding {
    const padding = options.padding ?? 'longest';
    const encs = texts.map((t) =>
      typeof t === 'string' ? this.encode(t, { ...options, padding: false }) : this.encode(t[0], { ...options, textPair: t[1], padding: false }),
    );
    let target = -1;
    if (padding === 'max_length' || (padding === true && options.maxLength != null)) {
      if (options.maxLength == null) throw new Error("WordPieceTokenizer.encodeBatch: padding 'max_length' needs maxLength");
      target = options.maxLength;
    } else if (padding === 'longest' || padding === true) target = Math.max(0, ...encs.map((e) => e.inputIds.length));
    if (target >= 0) for (const e of encs) this.padTo(e, target);
    return {
      inputIds: encs.map((e) => e.inputIds),
      tokenTypeIds: encs.map((e) => e.tokenTypeIds),
      attentionMask: encs.map((e) => e.attentionMask),
    };
  }

  private padTo(enc: Encoding, length: number): void {
    const padId = this.padId;
    while (enc.inputIds.length < length) {
      enc.tokens.push(this.cfg.padToken);
      enc.inputIds.push(padId);
      enc.tokenTypeIds.push(0);
      enc.attentionMask.push(0);
    }
  }

  /** Ids → text, joining `##` pieces (as HF's WordPiece decoder). */
  decode(ids: readonly number[], options: { skipSpecialTokens?: boolean } = {}): string {
    const skip = options.skipSpecialTokens ?? true;
    const specials = new Set([...this.specialTokens, ...this.addedTokens.filter((t) => t.special).map((t) => t.content)]);
    const prefix = this.cfg.continuingSubwordPrefix;
    let out = '';
    for (const id of ids) {
      const t = this.idToToken(id);
      if (skip && specials.has(t)) continue;
      if (t.startsWith(prefix)) out += t.slice(prefix.length);
      else out += (out ? ' ' : '') + t;
    }
    // HF's clean_up_tokenization: no space before punctuation and in common contractions.
    if (!this.cfg.cleanupTokenization) return out;
    return out
      .replace(/ ([.?!,])/g, '$1')
      .replace(/ ' /g, "'")
      .replace(/ n't/g, "n't")
      .replace(/ '(m|s|ve|re)\b/g, "'$1");
  }

  /** The vocabulary as `vocab.txt` (one token per line, id = line number). */
  toVocabTxt(): string {
    return this.vocab.join('\n') + '\n';
  }

  /** Build from the text of a `vocab.txt` (one token per line). */
  static fromVocabTxt(text: string, config: WordPieceConfig = {}): WordPieceTokenizer {
    const lines = text.split(/\r?\n/);
    if (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
    return new WordPieceTokenizer(lines, config);
  }

  /**
   * Build from a Hugging Face `tokenizer.json` (text or parsed) whose model is WordPiece: vocabulary and
   * added tokens, normaliser, pre-tokeniser, special-token template and decoder settings are read from it;
   * an unsupported model or component throws a `TokenizerJsonError` naming the field. `overrides` replace
   * single settings (BERT normaliser options only apply when the file's normaliser is a `BertNormalizer`).
   * `source` names the file in errors.
   */
  static fromTokenizerJson(json: string | object, overrides: WordPieceConfig = {}, source = 'tokenizer.json'): WordPieceTokenizer {
    const { vocab, config } = parseTokenizerJson(json, overrides, source);
    return new WordPieceTokenizer(vocab, config);
  }
}

/**
 * HF tokenizers' truncation of a (pair of) token list(s) to `budget` tokens. `longest_first` keeps the
 * shorter sequence whole when it fits in half, else cuts both to ⌊M/2⌋ (shorter; first on ties) and ⌈M/2⌉.
 */
export function truncatePair<T>(
  a: T[],
  b: T[] | null,
  budget: number,
  strategy: 'longest_first' | 'only_first' | 'only_second',
): [T[], T[] | null] {
  if (!b) {
    if (strategy === 'only_second') throw new Error("truncation 'only_second' needs a text pair");
    return [a.slice(0, budget), null];
  }
  if (a.length + b.length <= budget) return [a, b];
  if (strategy === 'only_first') {
    const keep = budget - b.length;
    if (keep < 0) throw new Error(`truncation 'only_first': the second sequence alone (${b.length}) exceeds the budget ${budget}`);
    return [a.slice(0, keep), b];
  }
  if (strategy === 'only_second') {
    const keep = budget - a.length;
    if (keep < 0) throw new Error(`truncation 'only_second': the first sequence alone (${a.length}) exceeds the budget ${budget}`);
    return [a, b.slice(0, keep)];
  }
  const aShorter = a.length <= b.length;
  const nShort = aShorter ? a.length : b.length;
  let keepShort: number;
  let keepLong: number;
  if (nShort <= budget - nShort) {
    keepShort = nShort;
    keepLong = budget - nShort;
  } else {
    keepShort = Math.floor(budget / 2);
    keepLong = budget - keepShort;
  }
  return aShorter ? [a.slice(0, keepShort), b.slice(0, keepLong)] : [a.slice(0, keepLong), b.slice(0, keepShort)];
}
