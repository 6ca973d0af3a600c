import type { AddedToken } from './added-tokens';
import { bertNormalize } from './normalizer';
import { bertNormalizerOptions, compileNormalizer, findBertNormalizer } from './normalizer-json';
import { compilePostProcessor } from './post-processor';
import { compilePreTokenizer } from './pre-tokenizer-json';
import { asObject, componentType, optionalBoolean, TokenizerJsonError, type JsonObject } from './tokenizer-json-error';
import type { WordPieceConfig } from './wordpiece';

const NORMALIZER_OPTION_KEYS = ['cleanText', 'handleChineseChars', 'stripAccents', 'lowercase'] as const;

function addedTokens(json: unknown, source: string): AddedToken[] {
  if (json === undefined || json === null) return [];
  if (!Array.isArray(json)) throw new TokenizerJsonError('added_tokens', 'must be a list', source);
  return json.map((entry, i) => {
    const f = `added_tokens[${i}]`;
    const t = asObject(entry, f, source);
    const id = t['id'];
    const content = t['content'];
    if (!Number.isInteger(id) || (id as number) < 0) throw new TokenizerJsonError(`${f}.id`, `must be an integer ≥ 0, got ${JSON.stringify(id)}`, source);
    if (typeof content !== 'string' || content === '') throw new TokenizerJsonError(`${f}.content`, 'must be a non-empty string', source);
    return {
      id: id as number,
      content,
      special: optionalBoolean(t, 'special', f, source) ?? false,
      // tokenizers' default: special tokens are matched before normalisation, others after it.
      normalized: optionalBoolean(t, 'normalized', f, source) ?? !(optionalBoolean(t, 'special', f, source) ?? false),
      lstrip: optionalBoolean(t, 'lstrip', f, source) ?? false,
      rstrip: optionalBoolean(t, 'rstrip', f, source) ?? false,
      singleWord: optionalBoolean(t, 'single_word', f, source) ?? false,
    };
  });
}

/** Token strings by id from `model.vocab` plus `added_tokens`; every id from 0 up must have one token. */
function mergeVocab(modelVocab: JsonObject, added: readonly AddedToken[], source: string): string[] {
  const byId = new Map<number, string>();
  for (const [tok, id] of Object.entries(modelVocab)) {
    if (!Number.isInteger(id) || (id as number) < 0) throw new TokenizerJsonError(`model.vocab["${tok}"]`, `must be an integer id ≥ 0, got ${JSON.stringify(id)}`, source);
    const prev = byId.get(id as number);
    if (prev !== undefined) throw new TokenizerJsonError('model.vocab', `gives id ${id as number} to both "${prev}" and "${tok}"`, source);
    byId.set(id as number, tok);
  }
  added.forEach((t, i) => {
    const prev = byId.get(t.id);
    if (prev !== undefined && prev !== t.content) throw new TokenizerJsonError(`added_tokens[${i}]`, `"${t.content}" has id ${t.id}, which model.vocab gives to "${prev}"`, source);
    byId.set(t.id, t.content);
  });
  const size = Math.max(-1, ...byId.keys()) + 1;
  const vocab = new Array<string>(size);
  for (let i = 0; i < size; i++) {
    const t = byId.get(i);
    if (t === undefined) throw new TokenizerJsonError('model.vocab', `and added_tokens leave id ${i} without a token (ids must run from 0 to ${size - 1})`, source);
    vocab[i] = t;
  }
  return vocab;
}

/** A string field of the model (undefined when absent). */
function modelString(m: JsonObject, key: string, source: string): string | undefined {
  const v = m[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string') throw new TokenizerJsonError(`model.${key}`, `must be a string, got ${JSON.stringify(v)}`, source);
  return v;
}

/**
 * Read a Hugging Face `tokenizer.json` (as written by `tokenizers` / transformers' fast tokenizers) whose
 * model is WordPiece into a vocabulary and a {@link WordPieceConfig}: `model` (vocab, unk token, subword
 * prefix, max word length), `added_tokens`, `normalizer`, `pre_tokenizer`, `post_processor`, the pad token
 * of `padding` and the `decoder`'s cleanup flag. `truncation` and `padding` settings are not applied: as in
 * transformers, the call's options decide. Unsupported components throw a {@link TokenizerJsonError}
 * naming the field.
 */
export function parseTokenizerJson(json: string | object, overrides: WordPieceConfig = {}, source = 'tokenizer.json'): { vocab: string[]; config: WordPieceConfig } {
  let parsed: unknown = json;
  if (typeof json === 'string') {
    try {
      parsed = JSON.parse(json);
    } catch (e) {
      throw new TokenizerJsonError('(file)', `is not valid JSON: ${(e as Error).message}`, source);
    }
  }
  const tj = asObject(parsed, '(file)', source);
  if (tj['model'] === undefined) throw new TokenizerJsonError('model', 'is missing', source);
  const model = asObject(tj['model'], 'model', source);
  const modelType = componentType(model, 'model', source);
  if (modelType !== 'WordPiece') throw new TokenizerJsonError('model.type', `"${modelType}" is not supported: LEL reads WordPiece models (BERT-family tokenizers)`, source);
  const modelVocab = asObject(model['vocab'], 'model.vocab', source);
  const added = addedTokens(tj['added_tokens'], source);
  const vocab = mergeVocab(modelVocab, added, source);

  const config: WordPieceConfig = {};
  const unk = modelString(model, 'unk_token', source);
  if (unk !== undefined) config.unkToken = unk;
  const prefix = modelString(model, 'continuing_subword_prefix', source);
  if (prefix !== undefined) config.continuingSubwordPrefix = prefix;
  const maxChars = model['max_input_chars_per_word'];
  if (maxChars !== undefined && maxChars !== null) {
    if (!Number.isInteger(maxChars) || (maxChars as number) < 1) throw new TokenizerJsonError('model.max_input_chars_per_word', `must be a positive integer, got ${JSON.stringify(maxChars)}`, source);
    config.maxInputCharsPerWord = maxChars as number;
  }

  // Normaliser: compiled from the file; BERT options overridden only on a plain BertNormalizer.
  const bert = findBertNormalizer(tj['normalizer']);
  if (bert) Object.assign(config, bertNormalizerOptions(bert, 'normalizer', source));
  const overridden = NORMALIZER_OPTION_KEYS.filter((k) => overrides[k] !== undefined);
  if (overridden.length > 0) {
    const n = tj['normalizer'] as JsonObject | null | undefined;
    if (!n || n['type'] !== 'BertNormalizer') {
      throw new TokenizerJsonError('normalizer', `is ${n ? `a ${String(n['type'])}` : 'null'}, so the BERT normaliser options given (${overridden.join(', ')}) cannot apply`, source);
    }
    const opts = { ...bertNormalizerOptions(n, 'normalizer', source), ...Object.fromEntries(overridden.map((k) => [k, overrides[k]])) };
    config.normalizer = (t) => bertNormalize(t, opts);
  } else config.normalizer = compileNormalizer(tj['normalizer'], 'normalizer', source);
  config.preTokenizer = compilePreTokenizer(tj['pre_tokenizer'], 'pre_tokenizer', source);
  config.addedTokens = added;

  const post = compilePostProcessor(tj['post_processor'], 'post_processor', source);
  config.postProcessor = post;
  const specials = post.single.flatMap((p) => ('special' in p ? p.special.tokens : []));
  if (specials.length > 0) {
    config.clsToken = specials[0]!;
    config.sepToken = specials[specials.length - 1]!;
  }
  for (const id of post.pair.concat(post.single).flatMap((p) => ('special' in p ? p.special.ids : []))) {
    if (id >= vocab.length) throw new TokenizerJsonError('post_processor', `uses id ${id}, outside the vocabulary of ${vocab.length} tokens`, source);
  }

  if (tj['padding'] !== undefined && tj['padding'] !== null) {
    const pad = asObject(tj['padding'], 'padding', source)['pad_token'];
    if (typeof pad === 'string') config.padToken = pad;
  }
  const decoder = tj['decoder'];
  if (decoder !== undefined && decoder !== null) {
    const d = asObject(decoder, 'decoder', source);
    const type = componentType(d, 'decoder', source);
    if (type !== 'WordPiece') throw new TokenizerJsonError('decoder.type', `"${type}" is not supported (LEL decodes WordPiece)`, source);
    const cleanup = optionalBoolean(d, 'cleanup', 'decoder', source);
    if (cleanup !== undefined) config.cleanupTokenization = cleanup;
  }
  const rest = Object.fromEntries(Object.entries(overrides).filter(([k, v]) => v !== undefined && !(NORMALIZER_OPTION_KEYS as readonly string[]).includes(k)));
  return { vocab, config: { ...config, ...rest } };
}
