import { describe, expect, it } from 'vitest';
import { LimitExceededError } from '../limits';
import { parseJsonl } from './jsonl';

describe('parseJsonl', () => {
  it('reads records with configurable fields, skipping blank lines', () => {
    const text = '{"sentence":"good","label":1}\n\n{"sentence":"bad","label":0}\n';
    const d = parseJsonl(text, 'a.jsonl', { textField: 'sentence' });
    expect(d.texts).toEqual(['good', 'bad']);
    expect(Array.from(d.labels)).toEqual([1, 0]);
    const pairs = parseJsonl('{"p":"x","h":"y","label":"yes"}\n{"p":"z","h":"w","label":"no"}', 'p.jsonl', { textField: 'p', textBField: 'h', labelNames: ['no', 'yes'] });
    expect(pairs.textsB).toEqual(['y', 'w']);
    expect(Array.from(pairs.labels)).toEqual([1, 0]);
  });

  it('names the file and line of each defect', () => {
    expect(() => parseJsonl('{"text":"a","label":0}\n{oops}\n', 'b.jsonl')).toThrow(/b\.jsonl: line 2 is not valid JSON/);
    expect(() => parseJsonl('[1,2]\n', 'c.jsonl')).toThrow(/c\.jsonl: line 1 is not a JSON object/);
    expect(() => parseJsonl('{"label":0}\n', 'd.jsonl')).toThrow(/d\.jsonl: line 1: field "text" is missing or not a string/);
    expect(() => parseJsonl('{"text":"a","label":-1}\n', 'e.jsonl')).toThrow(/e\.jsonl: line 1: field "label" must be a string or a non-negative integer/);
    expect(() => parseJsonl('{"text":"a","label":"maybe"}\n', 'f.jsonl', { labelNames: ['no', 'yes'] })).toThrow(/f\.jsonl: line 1: label "maybe" is not one of \[no, yes\]/);
    expect(() => parseJsonl('\n\n', 'g.jsonl')).toThrow(/g\.jsonl: no records/);
  });
});

describe('parseJsonl label limits', () => {
  it('an integer label of 100000000 or 1e12 is a LimitExceededError naming the line (not out of memory or an untyped RangeError)', () => {
    for (const y of ['100000000', '1e12']) {
      let e: unknown;
      try {
        parseJsonl(`{"text":"a","label":0}\n{"text":"hello","label":${y}}\n`, 'big.jsonl');
      } catch (err) {
        e = err;
      }
      expect(e).toBeInstanceOf(LimitExceededError);
      expect((e as Error).message).toMatch(/^big\.jsonl: label value "\d+" on line 2 exceeds the limit maxLabelValue = 99,999/);
    }
  });

  it('a deeply nested label is described briefly, not stringified', () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expect(() => parseJsonl(`{"text":"a","label":${deep}}`, 'deep.jsonl')).toThrow(/deep\.jsonl: line 1: field "label" must be a string or a non-negative integer, got an array of 1$/);
  });
});
