import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { Module, useBackend } from '@lel/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from './testing';
import { bestWeightsFile, loadBest, saveBest } from './weights';

class Two extends Module {
  readonly w;
  constructor(v: number) {
    super();
    this.w = this.registerParameter('w', tf.fill([2, 3], v));
  }
}

beforeAll(() => useBackend('cpu'));

describe('best/ weights', () => {
  it('round-trip, and a flipped byte is refused naming the file (info.json records the SHA-256)', async () => {
    const run = tempDir('best');
    const a = new Two(0.5);
    await saveBest(run, a, { step: 3 });
    const info = JSON.parse(fs.readFileSync(path.join(run, 'best', 'info.json'), 'utf8')) as { step: number; sha256: string };
    expect(info).toMatchObject({ step: 3, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const b = new Two(0);
    await loadBest(run, b);
    expect(Array.from(await b.w.variable.data())).toEqual(new Array(6).fill(0.5));

    const file = bestWeightsFile(run);
    const bytes = fs.readFileSync(file);
    bytes[bytes.length - 1] = bytes[bytes.length - 1]! ^ 0x10;
    fs.writeFileSync(file, bytes);
    await expect(loadBest(run, b)).rejects.toThrow(new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is corrupted: its SHA-256 [0-9a-f]{16}… differs from the [0-9a-f]{16}… recorded in .*info\\.json; refusing to load it$`));
    expect(Array.from(await b.w.variable.data())).toEqual(new Array(6).fill(0.5));
    a.dispose();
    b.dispose();
  });
});
