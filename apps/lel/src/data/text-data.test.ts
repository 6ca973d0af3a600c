import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { TextData } from './sections';
import { resolveTextData } from './text-data';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'lel-text-'));

function tsv(dir: string, name: string, rows: [string, string][], header = 'text\tlabel'): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, `${header}\n${rows.map((r) => r.join('\t')).join('\n')}\n`);
  return file;
}

const reviews = (n: number): [string, string][] => Array.from({ length: n }, (_, i) => [`review ${i} ${i % 3 === 0 ? 'awful' : 'great'}`, i % 3 === 0 ? 'neg' : 'pos']);

describe('resolveTextData', () => {
  it('reads a TSV path, infers the label map, keeps K per class and carves a stratified dev part; the run records both', () => {
    const dir = tmp();
    const runDir = tmp();
    const file = tsv(dir, 'train.tsv', reviews(30));
    const section = TextData.parse({ labelled: { source: 'tsv', path: file, perClass: 4 }, devFraction: 0.2 });
    const data = resolveTextData(section, { runDir });
    expect(data.labelNames).toEqual(['neg', 'pos']);
    expect([...data.parts.labelled!.labels].sort()).toEqual([0, 0, 0, 0, 1, 1, 1, 1]);
    expect(data.parts.dev!.texts.length).toBe(6);
    expect([...data.parts.dev!.labels].filter((y) => y === 0).length).toBe(2);
    const all = [...data.parts.labelled!.texts, ...data.parts.unlabelled!.texts, ...data.parts.dev!.texts];
    expect(new Set(all).size).toBe(30);
    expect(JSON.parse(fs.readFileSync(path.join(runDir, 'data', 'labels.json'), 'utf8')).classNames).toEqual(['neg', 'pos']);
    expect(resolveTextData(section, { runDir }).parts.dev!.texts).toEqual(data.parts.dev!.texts);
    fs.appendFileSync(file, 'one more\tpos\n');
    expect(() => resolveTextData(section, { runDir })).toThrow(/the train data changed since this run started \(TSV .*train\.tsv\): it now has 31 samples \(was 30\)/);
  });

  it('maps dev and test files through the training label map and names a file, line and label outside it', () => {
    const dir = tmp();
    const train = tsv(dir, 'train.tsv', reviews(12));
    const dev = path.join(dir, 'dev.jsonl');
    fs.writeFileSync(dev, '{"text": "fine", "label": "pos"}\n{"text": "meh", "label": "neutral"}\n');
    expect(() => resolveTextData(TextData.parse({ labelled: train, dev }))).toThrow(/dev\.jsonl: line 2: label "neutral" is not one of \[neg, pos\]/);
    fs.writeFileSync(dev, '{"text": "fine", "label": "pos"}\n{"text": "bad", "label": 0}\n');
    const data = resolveTextData(TextData.parse({ labelled: train, dev, test: dev }));
    expect([...data.parts.dev!.labels]).toEqual([1, 0]);
    expect(data.parts.test!.texts).toEqual(['fine', 'bad']);
  });

  it('names a ragged row, a missing column and an unknown file kind', () => {
    const dir = tmp();
    const file = path.join(dir, 'bad.tsv');
    fs.writeFileSync(file, 'text\tlabel\nok\tpos\nragged\tpos\textra\n');
    expect(() => resolveTextData(TextData.parse({ labelled: file }))).toThrow(/bad\.tsv: ragged row on line 3: 3 fields, expected 2/);
    const glue = tsv(dir, 'glue.tsv', reviews(4), 'sentence\tlabel');
    expect(() => resolveTextData(TextData.parse({ labelled: glue }))).toThrow(/glue\.tsv: text column "text" not in header \[sentence, label\]/);
    expect(resolveTextData(TextData.parse({ labelled: { source: 'tsv', path: glue, text: 'sentence' } })).parts.labelled!.texts.length).toBe(3); // + 1 carved as dev (devFraction 0.1)
    // The kind may be left to detection while giving its options (and a label budget).
    expect(resolveTextData(TextData.parse({ labelled: { path: glue, text: 'sentence', count: 2 }, devFraction: 0 })).parts.labelled!.texts.length).toBe(2);
    expect(() => resolveTextData(TextData.parse({ labelled: { path: glue, txt: 'sentence' } }))).toThrow(/config is invalid:\n  - data\.labelled\.txt: unknown key \(did you mean "text"\?\)/);
    expect(() => resolveTextData(TextData.parse({ labelled: { path: glue, text: 'sentence', fraction: 2 } }))).toThrow(/config is invalid:\n  - data\.labelled\.fraction: Too big/);
    fs.writeFileSync(path.join(dir, 'x.txt'), 'a');
    expect(() => resolveTextData(TextData.parse({ labelled: path.join(dir, 'x.txt') }))).toThrow(/data\.labelled: .*x\.txt is a file of unknown kind/);
  });

  it('reproduces the embedded reviews protocol: 16 per class, 128 held-out reviews as dev', () => {
    const data = resolveTextData(TextData.parse({ labelled: { source: 'sentiment', perClass: 16 } }));
    expect([data.parts.labelled!.texts.length, data.parts.dev!.texts.length, data.labelNames]).toEqual([32, 128, ['negative', 'positive']]);
  });
});
