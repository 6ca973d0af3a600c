import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadCifarBinary, parseCifarBinary } from './cifar';

/** One CIFAR record: label byte(s), then the R, G and B planes filled with r, g, b. */
function record(labels: number[], r: number, g: number, b: number): Buffer {
  return Buffer.concat([Buffer.from(labels), Buffer.alloc(1024, r), Buffer.alloc(1024, g), Buffer.alloc(1024, b)]);
}

describe('CIFAR binary', () => {
  it('parses CIFAR-10 records and transposes planes to HWC', () => {
    const bytes = Buffer.concat([record([3], 255, 0, 51), record([9], 0, 102, 0)]);
    bytes[1 + 1024 + 5] = 204; // green value of pixel 5 in record 0
    const d = parseCifarBinary(bytes, 'b.bin');
    expect([d.n, d.height, d.width, d.channels]).toEqual([2, 32, 32, 3]);
    expect(Array.from(d.labels)).toEqual([3, 9]);
    expect(d.classNames[3]).toBe('cat');
    expect(Array.from(d.images.subarray(0, 3))).toEqual([1, 0, 0.2].map(Math.fround));
    expect(d.images[5 * 3 + 1]).toBeCloseTo(0.8);
    expect(d.images[3072 + 1]).toBeCloseTo(0.4);
  });

  it('parses CIFAR-100 fine or coarse labels', () => {
    const bytes = record([4, 77], 0, 0, 0);
    expect(Array.from(parseCifarBinary(bytes, 'c', { variant: 100 }).labels)).toEqual([77]);
    expect(Array.from(parseCifarBinary(bytes, 'c', { variant: 100, labelKind: 'coarse' }).labels)).toEqual([4]);
  });

  it('fails on truncated files and out-of-range labels, naming the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lel-cifar-'));
    const a = join(dir, 'data_batch_1.bin');
    const b = join(dir, 'data_batch_2.bin');
    writeFileSync(a, record([1], 1, 2, 3));
    writeFileSync(b, record([2], 1, 2, 3).subarray(0, 3000));
    expect(() => loadCifarBinary([a, b])).toThrow(/data_batch_2\.bin: size 3000 is not a multiple of the CIFAR-10 record size 3073/);
    writeFileSync(b, record([10], 1, 2, 3));
    expect(() => loadCifarBinary([a, b])).toThrow(/data_batch_2\.bin: label 10 of record 0 is out of range \[0, 10\)/);
    writeFileSync(b, record([2], 1, 2, 3));
    expect(Array.from(loadCifarBinary([a, b]).labels)).toEqual([1, 2]);
  });
});
