import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LimitExceededError } from '../limits';
import { labelIndexer, loadDelimited, parseDelimited } from './delimited';

describe('CSV/TSV text classification', () => {
  it('reads a GLUE SST-2 style TSV (unquoted, header) with inferred 0/1 labels', () => {
    const tsv = 'sentence\tlabel\nit \'s a "charming" journey \t1\nunfunny and flat \t0\n';
    const d = parseDelimited(tsv, 'train.tsv', { textColumn: 'sentence', labelColumn: 'label' });
    expect(d.texts).toEqual(['it \'s a "charming" journey ', 'unfunny and flat ']);
    expect(Array.from(d.labels)).toEqual([1, 0]);
    expect(d.labelNames).toEqual(['0', '1']);
    expect(d.textsB).toBeUndefined();
  });

  it('reads sentence pairs and string labels in a given order', () => {
    const tsv = 'index\tsentence1\tsentence2\tlabel\n0\tA man sleeps.\tA person rests.\tentailment\n1\tIt rains.\tIt is dry.\tnot_entailment\n';
    const d = parseDelimited(tsv, 'rte.tsv', { textColumn: 'sentence1', textBColumn: 'sentence2', labelColumn: 'label', labelNames: ['entailment', 'not_entailment'] });
    expect(d.textsB).toEqual(['A person rests.', 'It is dry.']);
    expect(Array.from(d.labels)).toEqual([0, 1]);
  });

  it('handles RFC 4180 quoting: commas, doubled quotes and newlines inside fields, CRLF, BOM', () => {
    const csv = '\ufefftext,label\r\n"Hello, ""world""\nsecond line",pos\r\nplain,neg\r\n';
    const d = parseDelimited(csv, 'x.csv', { textColumn: 0, labelColumn: 1 });
    expect(d.texts).toEqual(['Hello, "world"\nsecond line', 'plain']);
    expect(d.labelNames).toEqual(['neg', 'pos']);
    expect(Array.from(d.labels)).toEqual([1, 0]);
  });

  it('names the file and line of a ragged row, a bad label, a missing column and an open quote', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lel-csv-'));
    const path = join(dir, 'ragged.tsv');
    writeFileSync(path, 'sentence\tlabel\ngood\t1\nbad\t0\textra\n');
    expect(() => loadDelimited(path, { textColumn: 'sentence', labelColumn: 'label' })).toThrow(/ragged\.tsv: ragged row on line 3: 3 fields, expected 2/);
    expect(() => parseDelimited('t,l\na,x\n', 'l.csv', { textColumn: 't', labelColumn: 'l', labelNames: ['a', 'b'] })).toThrow(/l\.csv: label "x" on line 2 is not one of \[a, b\]/);
    expect(() => parseDelimited('t,l\na,1\n', 'c.csv', { textColumn: 'text', labelColumn: 'l' })).toThrow(/c\.csv: text column "text" not in header \[t, l\]/);
    expect(() => parseDelimited('t,l\n"a,1\n', 'q.csv', { textColumn: 't', labelColumn: 'l' })).toThrow(/q\.csv: unterminated quote opened on line 2/);
    expect(() => loadDelimited(join(dir, 'none.csv'), { textColumn: 0, labelColumn: 1 })).toThrow(/none\.csv: cannot read file/);
  });
});

describe('label limits', () => {
  it('the 27-byte CSV `text,label\\nhello,100000000` is a LimitExceededError naming the line, not an out-of-memory crash', () => {
    let e: unknown;
    try {
      parseDelimited('text,label\nhello,100000000', 'big.csv', { textColumn: 'text', labelColumn: 'label' });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(LimitExceededError);
    expect((e as LimitExceededError).limit).toBe('maxLabelValue');
    expect((e as Error).message).toBe('big.csv: label value "100000000" on line 2 exceeds the limit maxLabelValue = 99,999 (options.limits.maxLabelValue raises it)');
    // The limit is an option: raised, a label of 100,000 gives 100,001 classes.
    const d = parseDelimited('text,label\nhello,100000', 'ok.csv', { textColumn: 'text', labelColumn: 'label', limits: { maxLabelValue: 100_000, maxDistinctLabels: 10 } });
    expect(d.labelNames.length).toBe(100_001);
  });

  it('a numeric string label past the limit is only a name when other labels are not integers', () => {
    const d = parseDelimited('t,l\na,100000000\nb,cat\n', 'mixed.csv', { textColumn: 't', labelColumn: 'l' });
    expect(d.labelNames).toEqual(['100000000', 'cat']);
  });

  it('more distinct labels than maxDistinctLabels is refused at the label that crosses it', () => {
    const rows = Array.from({ length: 12 }, (_, i) => `x,c${i}`).join('\n');
    expect(() => parseDelimited(`t,l\n${rows}`, 'many.csv', { textColumn: 't', labelColumn: 'l', limits: { maxDistinctLabels: 10 } })).toThrow(
      /many\.csv: the number of distinct labels \(reached with label "c10" on line 12\) exceeds the limit maxDistinctLabels = 10/,
    );
  });

  it('200,000 distinct integer labels (limits raised) do not overflow the stack', () => {
    const cells = Array.from({ length: 200_000 }, (_, i) => String(199_999 - i));
    const { names, index } = labelIndexer(cells, undefined, { limits: { maxDistinctLabels: 200_000, maxLabelValue: 199_999 } });
    expect(names.length).toBe(200_000);
    expect(index('123')).toBe(123);
    expect(() => labelIndexer(cells, undefined, { file: 'x', limits: { maxDistinctLabels: 200_000 } })).toThrow(/x: label value "199999" at row 1 exceeds the limit maxLabelValue = 99,999/);
  });

  it('limits must be numbers >= 0 and known', () => {
    expect(() => parseDelimited('t,l\na,1', 'a.csv', { textColumn: 't', labelColumn: 'l', limits: { maxLabelValue: -1 } })).toThrow(/limits\.maxLabelValue must be a number >= 0, got -1/);
    expect(() => parseDelimited('t,l\na,1', 'a.csv', { textColumn: 't', labelColumn: 'l', limits: { maxLables: 3 } as never })).toThrow(/unknown limit "maxLables"/);
  });

  it('maxFileBytes bounds the file read', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lel-csv-'));
    const path = join(dir, 'a.csv');
    writeFileSync(path, 't,l\na,1\n');
    expect(() => loadDelimited(path, { textColumn: 't', labelColumn: 'l', limits: { maxFileBytes: 5 } })).toThrow(/a\.csv: file size 8 bytes exceeds the limit maxFileBytes = 5/);
  });
});
