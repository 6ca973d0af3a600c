import { describe, expect, it } from 'vitest';
import { validateTextClassification } from '../types';
import { detectOptionalSources } from './optional';
import { loadSentiment, loadSpam, loadTextCorpus, sentimentDomainShift, stripMailHeaders } from './text';

describe('sentiment fixtures', () => {
  it('loads 3 domains × 1,000 balanced sentences', () => {
    for (const domain of ['amazon', 'imdb', 'yelp'] as const) {
      const d = loadSentiment({ domain });
      validateTextClassification(d, domain);
      expect(d.texts).toHaveLength(1000);
      expect(d.labels.reduce((a, b) => a + b, 0)).toBe(500);
      expect(d.texts.every((t) => t.length > 0)).toBe(true);
    }
    expect(() => loadSentiment({ domain: 'twitter' as 'imdb' })).toThrow(/domain must be one of amazon, imdb, yelp/);
  });

  it('splits a source domain into train / in-domain test and keeps the others as out-of-domain tests', () => {
    const s = sentimentDomainShift({ source: 'yelp', seed: 0 });
    expect(s.train.texts).toHaveLength(800);
    expect(s.inDomainTest.texts).toHaveLength(200);
    expect(s.inDomainTest.labels.reduce((a, b) => a + b, 0)).toBe(100);
    expect(Object.keys(s.outOfDomainTest).sort()).toEqual(['amazon', 'imdb']);
    expect(new Set([...s.train.texts, ...s.inDomainTest.texts]).size).toBeGreaterThan(990);
    expect(sentimentDomainShift({ source: 'yelp', seed: 0 }).inDomainTest.texts).toEqual(s.inDomainTest.texts);
  });
});

describe('unlabelled corpus and spam', () => {
  it('reads State of the Union speeches in chronological order', () => {
    const docs = loadTextCorpus({ maxDocuments: 3 });
    expect(docs).toHaveLength(3);
    expect(docs.map((d) => d.id)).toEqual([...docs.map((d) => d.id)].sort());
    expect(docs[0]!.id).toBe('sotu/1790_george_washington_n');
    expect(docs[0]!.text.startsWith('Fellow-Citizens')).toBe(true);
    expect(loadTextCorpus().length).toBe(233);
  });

  it('loads the SpamAssassin corpus as ham/spam with headers stripped', () => {
    const d = loadSpam();
    expect(d.texts).toHaveLength(6046);
    expect(d.labels.reduce((a, b) => a + b, 0)).toBe(1896);
    expect(d.labelNames).toEqual(['ham', 'spam']);
    // Only forwarded messages (a handful) still show header lines near the top, inside their bodies.
    expect(d.texts.filter((t) => /^(Return-Path|Received|Delivered-To):/m.test(t.slice(0, 200))).length).toBeLessThan(10);
    expect(loadSpam({ groups: ['spam-1'], stripHeaders: false }).texts[0]!.startsWith('From ')).toBe(true);
    expect(Math.max(...d.texts.map((t) => t.length))).toBeLessThanOrEqual(2000);
    expect(loadSpam({ groups: ['hard-ham-1'] }).texts).toHaveLength(250);
  });

  it('keeps the subject when stripping mail headers', () => {
    expect(stripMailHeaders('From: a@b\nSubject: Cheap pills\nTo: c\n\nBuy now.\n')).toBe('Cheap pills\nBuy now.');
    expect(stripMailHeaders('no header block')).toBe('no header block');
  });

  it('detects optional apt sources without requiring them', () => {
    const o = detectOptionalSources();
    expect(o.fashionMnist === null || typeof o.fashionMnist === 'string').toBe(true);
    expect(Array.isArray(o.notoFonts)).toBe(true);
  });
});
