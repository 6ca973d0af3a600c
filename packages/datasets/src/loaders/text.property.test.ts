// Property-based tests of the CSV/TSV and JSONL loaders (fast-check): any table written with RFC 4180
// quoting is read back exactly; any text at all is read consistently (labels within the names) or refused
// with a DatasetError. Fixed seed in `pnpm test`, random under `pnpm fuzz`.
import { runProperty } from '@lel/core/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DatasetError } from '../errors';
import type { TextClassificationData } from '../types';
import { parseDelimited } from './delimited';
import { parseJsonl } from './jsonl';

const cellArb = fc.string({ unit: fc.constantFrom('a', 'b', ' ', ',', '"', '\n', '\r', '\t', 'é', '😀', '0', '1'), maxLength: 8 });
const labelArb = fc.oneof(fc.constantFrom('pos', 'neg', 'neutral'), fc.nat({ max: 30 }).map(String));
const rowsArb = fc.array(fc.tuple(cellArb, labelArb), { minLength: 1, maxLength: 12 });

/** RFC 4180: quote every field, doubling quotes. */
const csvField = (s: string): string => `"${s.replace(/"/g, '""')}"`;

function consistent(d: TextClassificationData): void {
  expect(d.labels.length).toBe(d.texts.length);
  for (const y of d.labels) {
    if (!(y >= 0 && y < d.labelNames.length)) throw new Error(`label ${y} outside [0, ${d.labelNames.length})`);
  }
  if (d.textsB) expect(d.textsB.length).toBe(d.texts.length);
}

function parsedOrDatasetError(parse: () => TextClassificationData): TextClassificationData | DatasetError {
  try {
    const d = parse();
    consistent(d);
    return d;
  } catch (e) {
    if (e instanceof DatasetError) return e;
    throw e;
  }
}

describe('text loader properties', () => {
  test('CSV round trip: quoted fields with commas, quotes and newlines come back exactly, labels mapped consistently', async () => {
    await runProperty('csv round trip', (p) =>
      fc.check(
        fc.property(rowsArb, fc.constantFrom('\n', '\r\n'), (rows, eol) => {
          const text = ['text,label', ...rows.map(([t, l]) => `${csvField(t)},${l}`)].join(eol) + eol;
          const d = parseDelimited(text, 'x.csv', { textColumn: 'text', labelColumn: 'label' });
          consistent(d);
          expect(d.texts).toEqual(rows.map(([t]) => t));
          expect(d.labels.length).toBe(rows.length);
          rows.forEach(([, l], i) => expect(d.labelNames[d.labels[i]!]).toBe(l.trim()));
        }),
        p,
      ),
    );
  });

  test('JSONL round trip, string and integer labels', async () => {
    await runProperty('jsonl round trip', (p) =>
      fc.check(
        fc.property(fc.array(fc.tuple(fc.string({ unit: 'binary', maxLength: 10 }), fc.oneof(fc.string({ maxLength: 4 }), fc.nat({ max: 50 }))), { minLength: 1, maxLength: 10 }), (recs) => {
          const text = recs.map(([t, l]) => JSON.stringify({ text: t, label: l })).join('\n');
          const d = parseJsonl(text, 'x.jsonl');
          consistent(d);
          expect(d.texts).toEqual(recs.map(([t]) => t));
          // Integer-looking labels ("08", 8) are class indices when every label is one (see labelIndexer).
          const ints = recs.every(([, l]) => /^\d+$/.test(String(l)));
          recs.forEach(([, l], i) => expect(d.labelNames[d.labels[i]!]).toBe(ints ? String(Number(l)) : String(l)));
        }),
        p,
      ),
    );
  });

  test('any text read as CSV/TSV is consistent or a DatasetError', async () => {
    const textArb = fc.oneof(
      fc.string({ unit: 'binary', maxLength: 200 }),
      fc.string({ unit: fc.constantFrom('a', ',', '"', '\n', '\t', '1', '9', '0', ' ', '\r', '\uFEFF'), maxLength: 200 }),
      fc.array(fc.tuple(cellArb, fc.oneof(labelArb, fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String))), { maxLength: 10 }).map((r) => 'text,label\n' + r.map(([t, l]) => `${t},${l}`).join('\n')),
    );
    await runProperty('delimited arbitrary text', (p) =>
      fc.check(
        fc.property(textArb, fc.boolean(), fc.boolean(), (text, header, tsv) => {
          parsedOrDatasetError(() => parseDelimited(text, tsv ? 'x.tsv' : 'x.csv', { textColumn: 0, labelColumn: 1, header, limits: { maxDistinctLabels: 50, maxLabelValue: 1000 } }));
        }),
        p,
      ),
      300,
    );
  });

  test('any text read as JSONL is consistent or a DatasetError', async () => {
    const lineArb = fc.oneof(
      fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v)),
      fc.record({ text: fc.oneof(fc.string(), fc.jsonValue({ maxDepth: 2 })), label: fc.oneof(fc.string({ maxLength: 3 }), fc.integer(), fc.double(), fc.jsonValue({ maxDepth: 2 })) }, { requiredKeys: [] }).map((v) => JSON.stringify(v)),
      fc.string({ maxLength: 30 }),
      fc.integer({ min: 1, max: 20_000 }).map((d) => `{"text":"a","label":${'['.repeat(d)}${']'.repeat(d)}}`),
    );
    await runProperty('jsonl arbitrary lines', (p) =>
      fc.check(
        fc.property(fc.array(lineArb, { maxLength: 8 }), (lines) => {
          parsedOrDatasetError(() => parseJsonl(lines.join('\n'), 'x.jsonl', { limits: { maxDistinctLabels: 50, maxLabelValue: 1000 } }));
        }),
        p,
      ),
      300,
    );
  });
});
