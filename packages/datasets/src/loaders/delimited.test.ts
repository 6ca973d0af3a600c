import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadDelimited, parseDelimited } from './delimited';

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
