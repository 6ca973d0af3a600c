import { asObject, componentType, TokenizerJsonError, type JsonObject } from './tokenizer-json-error';

/** One element of a special-token template: a special token (one or more ids) or sequence A / B. */
export type TemplatePiece = { special: { tokens: string[]; ids: number[] }; typeId: number } | { sequence: 'A' | 'B'; typeId: number };

/** How special tokens frame one sequence and a pair (tokenizers' `TemplateProcessing`). */
export interface PostProcessor {
  single: TemplatePiece[];
  pair: TemplatePiece[];
}

/** BERT's `[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` with token types 0 / 1. */
export function bertTemplate(cls: [string, number], sep: [string, number]): PostProcessor {
  const sp = ([t, id]: [string, number], typeId: number): TemplatePiece => ({ special: { tokens: [t], ids: [id] }, typeId });
  return {
    single: [sp(cls, 0), { sequence: 'A', typeId: 0 }, sp(sep, 0)],
    pair: [sp(cls, 0), { sequence: 'A', typeId: 0 }, sp(sep, 0), { sequence: 'B', typeId: 1 }, sp(sep, 1)],
  };
}

/** No post-processor: sequences as they are, the pair's second one with token type 1 (tokenizers' default). */
export const NO_TEMPLATE: PostProcessor = { single: [{ sequence: 'A', typeId: 0 }], pair: [{ sequence: 'A', typeId: 0 }, { sequence: 'B', typeId: 1 }] };

/** Ids a template adds around the sequences (what truncation must leave room for). */
export function specialTokenCount(pieces: readonly TemplatePiece[]): number {
  return pieces.reduce((n, p) => n + ('special' in p ? p.special.ids.length : 0), 0);
}

/** `post_processor` types LEL reads. */
export const SUPPORTED_POST_PROCESSORS = ['TemplateProcessing', 'BertProcessing'] as const;

function tokenAndId(v: unknown, field: string, source?: string): [string, number] {
  if (!Array.isArray(v) || v.length !== 2 || typeof v[0] !== 'string' || !Number.isInteger(v[1])) {
    throw new TokenizerJsonError(field, `must be [token, id], got ${JSON.stringify(v)}`, source);
  }
  return [v[0], v[1] as number];
}

function templatePieces(list: unknown, specials: JsonObject, field: string, source?: string): TemplatePiece[] {
  if (!Array.isArray(list)) throw new TokenizerJsonError(field, 'must be a list', source);
  return list.map((entry, i) => {
    const f = `${field}[${i}]`;
    const e = asObject(entry, f, source);
    if ('SpecialToken' in e) {
      const st = asObject(e['SpecialToken'], `${f}.SpecialToken`, source);
      const id = st['id'];
      const typeId = Number(st['type_id'] ?? 0);
      if (typeof id !== 'string') throw new TokenizerJsonError(`${f}.SpecialToken.id`, 'must be a string', source);
      const def = specials[id];
      if (def === undefined) throw new TokenizerJsonError(`${f}.SpecialToken.id`, `"${id}" is not in post_processor.special_tokens`, source);
      const d = asObject(def, `post_processor.special_tokens.${id}`, source);
      const ids = d['ids'];
      const tokens = d['tokens'];
      if (!Array.isArray(ids) || !ids.every(Number.isInteger) || !Array.isArray(tokens) || tokens.length !== ids.length) {
        throw new TokenizerJsonError(`post_processor.special_tokens.${id}`, 'needs "ids" and "tokens" lists of one length', source);
      }
      return { special: { tokens: tokens.map(String), ids: ids as number[] }, typeId };
    }
    if ('Sequence' in e) {
      const sq = asObject(e['Sequence'], `${f}.Sequence`, source);
      const id = sq['id'];
      if (id !== 'A' && id !== 'B') throw new TokenizerJsonError(`${f}.Sequence.id`, `must be "A" or "B", got ${JSON.stringify(id)}`, source);
      return { sequence: id, typeId: Number(sq['type_id'] ?? 0) };
    }
    throw new TokenizerJsonError(f, `must hold "SpecialToken" or "Sequence", got ${JSON.stringify(e)}`, source);
  });
}

/**
 * Compile a `tokenizer.json` `post_processor` (null → {@link NO_TEMPLATE}); `TemplateProcessing` (what
 * transformers writes for BERT) and `BertProcessing` are read, other types are refused naming the field.
 */
export function compilePostProcessor(json: unknown, field = 'post_processor', source?: string): PostProcessor {
  if (json === null || json === undefined) return NO_TEMPLATE;
  const p = asObject(json, field, source);
  const type = componentType(p, field, source);
  if (type === 'BertProcessing') return bertTemplate(tokenAndId(p['cls'], `${field}.cls`, source), tokenAndId(p['sep'], `${field}.sep`, source));
  if (type === 'TemplateProcessing') {
    const specials = p['special_tokens'] === undefined ? {} : asObject(p['special_tokens'], `${field}.special_tokens`, source);
    const single = templatePieces(p['single'], specials, `${field}.single`, source);
    const pair = templatePieces(p['pair'], specials, `${field}.pair`, source);
    if (!single.some((x) => 'sequence' in x && x.sequence === 'A')) throw new TokenizerJsonError(`${field}.single`, 'has no Sequence "A"', source);
    return { single, pair };
  }
  throw new TokenizerJsonError(`${field}.type`, `"${type}" is not supported (LEL reads: ${SUPPORTED_POST_PROCESSORS.join(', ')})`, source);
}
