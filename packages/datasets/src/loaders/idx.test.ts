import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DatasetError } from '../errors';
import { idxBytes } from '../fixtures/idx';
import { LimitExceededError } from '../limits';
import { loadIdxImageClassification, parseIdx, readIdx } from './idx';

describe('parseIdx', () => {
  it('reads uint8 images, plain and gzip-compressed alike', () => {
    const raw = idxBytes(0x08, [2, 2, 3], [0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    for (const bytes of [raw, gzipSync(raw)]) {
      const a = parseIdx(bytes, 'x.idx');
      expect(a.shape).toEqual([2, 2, 3]);
      expect(a.data).toBeInstanceOf(Uint8Array);
      expect(Array.from(a.data)).toEqual([0, 1, 2, 3, 4, 5, 250, 251, 252, 253, 254, 255]);
    }
  });

  it('decodes big-endian multi-byte types', () => {
    expect(Array.from(parseIdx(idxBytes(0x0c, [3], [-7, 65536, 2 ** 30])).data)).toEqual([-7, 65536, 2 ** 30]);
    expect(Array.from(parseIdx(idxBytes(0x0b, [2], [-300, 300])).data)).toEqual([-300, 300]);
    expect(Array.from(parseIdx(idxBytes(0x09, [2], [-5, 5])).data)).toEqual([-5, 5]);
    expect(Array.from(parseIdx(idxBytes(0x0d, [2], [1.5, -0.25])).data)).toEqual([1.5, -0.25]);
    expect(Array.from(parseIdx(idxBytes(0x0e, [1], [Math.PI])).data)).toEqual([Math.PI]);
  });

  it('names the file and the defect for corrupt inputs', () => {
    const good = idxBytes(0x08, [2, 2], [1, 2, 3, 4]);
    expect(() => parseIdx(good.subarray(0, good.length - 1), 'cut.idx')).toThrow(/cut\.idx: .*needs 16 bytes, file has 15/);
    const badMagic = Buffer.from(good);
    badMagic[0] = 7;
    expect(() => parseIdx(badMagic, 'm.idx')).toThrow(/m\.idx: not an IDX file/);
    const badType = Buffer.from(good);
    badType[2] = 0x42;
    expect(() => parseIdx(badType, 't.idx')).toThrow(/t\.idx: unknown IDX data type 0x42/);
    const gz = gzipSync(good);
    expect(() => parseIdx(gz.subarray(0, 12), 'z.gz')).toThrow(/z\.gz: corrupt gzip stream/);
    expect(() => parseIdx(good.subarray(0, 6), 'h.idx')).toThrow(/h\.idx: truncated IDX header/);
    expect(() => parseIdx(good, 'x')).not.toThrow();
    try {
      parseIdx(badMagic, 'm.idx');
    } catch (e) {
      expect(e).toBeInstanceOf(DatasetError);
      expect((e as DatasetError).file).toBe('m.idx');
    }
  });
});

describe('loadIdxImageClassification', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lel-idx-'));
  const images = join(dir, 'train-images-idx3-ubyte.gz');
  const labels = join(dir, 'train-labels-idx1-ubyte.gz');
  writeFileSync(images, gzipSync(idxBytes(0x08, [3, 2, 2], [0, 255, 51, 102, 255, 255, 255, 255, 0, 0, 0, 0])));
  writeFileSync(labels, gzipSync(idxBytes(0x08, [3], [7, 0, 9])));

  it('loads an MNIST-style pair scaled to [0, 1]', () => {
    const d = loadIdxImageClassification(images, labels);
    expect([d.n, d.height, d.width, d.channels]).toEqual([3, 2, 2, 1]);
    expect(Array.from(d.labels)).toEqual([7, 0, 9]);
    expect(Array.from(d.images.subarray(0, 4))).toEqual([0, 1, 0.2, 0.4].map(Math.fround));
    expect(d.classNames).toHaveLength(10);
    expect(loadIdxImageClassification(images, labels, { limit: 2 }).n).toBe(2);
  });

  it('rejects label out of range, count mismatch and a missing file', () => {
    const few = join(dir, 'few-labels.idx');
    writeFileSync(few, idxBytes(0x08, [2], [1, 2]));
    expect(() => loadIdxImageClassification(images, few)).toThrow(/few-labels\.idx: has 2 labels but .*has 3 images/);
    const big = join(dir, 'big-labels.idx');
    writeFileSync(big, idxBytes(0x08, [3], [1, 12, 2]));
    expect(() => loadIdxImageClassification(images, big)).toThrow(/big-labels\.idx: label 12 at index 1 is out of range \[0, 10\)/);
    expect(() => loadIdxImageClassification(join(dir, 'nope.gz'), labels)).toThrow(/nope\.gz: cannot read file \(ENOENT\)/);
  });
});

describe('IDX limits', () => {
  it('a gzip that expands past maxIdxBytes stops there with a LimitExceededError', () => {
    // ~200 KB of gzip inflating to 200 MB, with the limit at 50 MB.
    const payload = gzipSync(Buffer.alloc(200_000_000));
    let e: unknown;
    try {
      parseIdx(payload, 'bomb.gz', { limits: { maxIdxBytes: 50_000_000 } });
    } catch (err) {
      e = err;
    }
    expect(e).toBeInstanceOf(LimitExceededError);
    expect((e as Error).message).toBe('bomb.gz: the decompressed IDX data exceeds the limit maxIdxBytes = 50,000,000 (options.limits.maxIdxBytes raises it)');
  });

  it('dimensions (2^32 - 1) × (2^32 - 1) × 0 are refused though the tensor is empty', () => {
    const absurd = idxBytes(0x08, [2 ** 32 - 1, 2 ** 32 - 1, 0], []);
    expect(() => parseIdx(absurd, 'dims.idx')).toThrow(/dims\.idx: IDX shape \[4294967295, 4294967295, 0\] of uint8 .* exceeds the limit maxIdxBytes/);
    // An honest empty tensor is fine.
    expect(parseIdx(idxBytes(0x08, [0, 28, 28], []), 'empty.idx').shape).toEqual([0, 28, 28]);
  });

  it('maxIdxBytes bounds the file read and a header declaring more than it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lel-idx-'));
    const path = join(dir, 'a.idx');
    writeFileSync(path, idxBytes(0x08, [4, 4], new Array(16).fill(1)));
    expect(() => readIdx(path, { limits: { maxIdxBytes: 20 } })).toThrow(/a\.idx: file size 28 bytes exceeds the limit maxIdxBytes = 20/);
    expect(() => parseIdx(idxBytes(0x0c, [1000, 1000], []), 'h.idx', { limits: { maxIdxBytes: 1000 } })).toThrow(/h\.idx: IDX shape \[1000, 1000\] of int32 \(4,000,000 bytes without its zero dimensions\) exceeds the limit/);
  });

  it('a NaN float label is out of range, not class 0', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lel-idx-'));
    const images = join(dir, 'i.idx');
    const labels = join(dir, 'l.idx');
    writeFileSync(images, idxBytes(0x08, [1, 1, 1], [0]));
    writeFileSync(labels, idxBytes(0x0d, [1], [NaN]));
    expect(() => loadIdxImageClassification(images, labels)).toThrow(/l\.idx: label NaN at index 0 is out of range/);
  });
});
