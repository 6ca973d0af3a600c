// The limits hold in time and memory, not just in the message: each hostile file is loaded in a fresh Node
// process that reports the call's wall time and peak-RSS growth (bounds are generous; the defects they guard
// against took seconds and gigabytes).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { measureInChild } from '@lel/core/testing';
import { describe, expect, it } from 'vitest';
import { pngHeaderOver } from './fixtures/hostile';

const dir = mkdtempSync(join(tmpdir(), 'lel-limits-'));
const loader = (name: string) => new URL(`./loaders/${name}.ts`, import.meta.url);

describe('loader limits hold in time and memory (fresh process per file)', () => {
  it('the 27-byte CSV with label 100000000 (was: heap out of memory)', async () => {
    const path = join(dir, 'label.csv');
    writeFileSync(path, 'text,label\nhello,100000000');
    const m = await measureInChild(loader('delimited'), 'loadDelimited', [path, { textColumn: 'text', labelColumn: 'label' }], { timeoutMs: 30_000 });
    expect(m.ok).toBe(false);
    expect(m.error).toMatchObject({ name: 'LimitExceededError' });
    expect(m.error!.message).toContain('exceeds the limit maxLabelValue');
    expect(m.ms).toBeLessThan(1000);
    expect(m.peakRssDeltaMb).toBeLessThan(100);
  });

  it('a 20000×20000 PNG header over 100 bytes, pixel limit raised to 10^9 (was: 17.5 s, +4.8 GB)', async () => {
    const path = join(dir, 'bomb.png');
    writeFileSync(path, pngHeaderOver(20_000, 20_000));
    const m = await measureInChild(loader('image'), 'readImage', [path, { limits: { maxImagePixels: 1e9 } }], { timeoutMs: 30_000 });
    expect(m.ok).toBe(false);
    expect(m.error!.message).toContain('truncated PNG');
    expect(m.ms).toBeLessThan(1000);
    expect(m.peakRssDeltaMb).toBeLessThan(100);
  });

  it('a 200 KB IDX gzip expanding to 200 MB, maxIdxBytes 50 MB (was: no cap)', async () => {
    const path = join(dir, 'bomb-idx3-ubyte.gz');
    writeFileSync(path, gzipSync(Buffer.alloc(200_000_000)));
    const m = await measureInChild(loader('idx'), 'readIdx', [path, { limits: { maxIdxBytes: 50_000_000 } }], { timeoutMs: 30_000 });
    expect(m.ok).toBe(false);
    expect(m.error).toMatchObject({ name: 'LimitExceededError' });
    expect(m.ms).toBeLessThan(3000);
    // zlib gathers output chunks then joins them: transiently about twice what it keeps.
    expect(m.peakRssDeltaMb).toBeLessThan(2 * 50 + 100);
  });
});
