import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { horizontalFlip, Rng, type HwcImage } from '@lel/core';
import { tempDir, writeImage } from '../fixtures/image-files';
import type { SegmentationData } from '../types';
import { unlabelledPool } from './combine-sources';
import { imageFolderSource } from './image-folder-source';
import { segmentationDataSource, type ImageSource } from './image-source';
import { loadImageBatches, streamImageBatches, streamStats, type ImageBatchArrays } from './image-stream';

async function collect(gen: AsyncGenerator<ImageBatchArrays>): Promise<ImageBatchArrays[]> {
  const out: ImageBatchArrays[] = [];
  for await (const b of gen) out.push(b);
  return out;
}

/** Segmentation data (6×9): sample i has red i / n, green and blue ramps along y and x, and mask value i % 3. */
function scenes(n: number): ImageSource {
  const h = 6;
  const w = 9;
  const images = new Float32Array(n * h * w * 3);
  for (let i = 0; i < n; i++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) images.set([i / n, y / h, x / w], ((i * h + y) * w + x) * 3);
  const data: SegmentationData = { images, masks: new Int32Array(n * h * w).map((_, k) => Math.floor(k / (h * w)) % 3), n, height: h, width: w, channels: 3, numClasses: 3, classNames: ['a', 'b', 'c'] };
  return segmentationDataSource(data, 'scenes');
}

/** A source that resolves reads after random delays, so completion order differs from request order. */
function jittery(inner: ImageSource, seed: number): ImageSource {
  const rng = new Rng(seed);
  return { ...inner, read: (i, o) => new Promise((resolve, reject) => setTimeout(() => inner.read(i, o).then(resolve, reject), rng.int(5))) };
}

describe('streamImageBatches', () => {
  it('holds at most 1 + prefetch batches: decodes track consumption over 300 files, each file decoded once per pass', async () => {
    const root = tempDir('many');
    for (let i = 0; i < 300; i++) writeImage(join(root, `img-${String(i).padStart(3, '0')}.png`), 2, 2, i / 300);
    const source = imageFolderSource(root);
    const stats = streamStats();
    const prefetch = 2;
    const batchSize = 4;
    const gen = streamImageBatches(source, Array.from({ length: 300 }, (_, i) => i), { batchSize, size: { height: 2, width: 2 }, channels: 3, prefetch, rng: new Rng(1), stats });
    let consumed = 0;
    for await (const b of gen) {
      consumed++;
      expect(b.images.length).toBe(b.n * 2 * 2 * 3);
      // Everything decoded so far belongs to the batches handed out or to the `prefetch` decoded ahead.
      expect(stats.decoded).toBeLessThanOrEqual((consumed + prefetch) * batchSize);
      expect(stats.inFlight).toBeLessThanOrEqual(prefetch);
      if (consumed === 10) {
        // A pause in the consumer does not let the stream run ahead.
        await new Promise((r) => setTimeout(r, 30));
        expect(stats.decoded).toBeLessThanOrEqual((consumed + prefetch) * batchSize);
      }
    }
    expect(consumed).toBe(75);
    expect(stats.decoded).toBe(300);
    expect(stats.maxInFlight).toBe(1 + prefetch);
    expect(stats.inFlight).toBe(0);
  });

  it('stops decoding when the consumer stops early', async () => {
    const stats = streamStats();
    const gen = streamImageBatches(scenes(100), Array.from({ length: 100 }, (_, i) => i), { batchSize: 5, size: { height: 6, width: 9 }, channels: 3, prefetch: 1, stats });
    for await (const b of gen) if (b.indices[0] === 10) break;
    await new Promise((r) => setTimeout(r, 10));
    expect(stats.decoded).toBeLessThanOrEqual(5 * 4);
    expect(stats.inFlight).toBe(0);
  });

  it('is deterministic in the generator whatever the prefetch depth or decoding order, crops and augmentations included', async () => {
    const source = scenes(23);
    const flip = (s: { image: HwcImage; mask?: Int32Array }, rng: Rng) => (rng.next() < 0.5 ? { ...s, image: horizontalFlip(s.image) } : s);
    const run = (src: ImageSource, prefetch: number) =>
      collect(streamImageBatches(src, Array.from({ length: 23 }, (_, i) => i), { batchSize: 4, size: { height: 4, width: 4 }, channels: 3, resize: 'crop', rng: new Rng('epoch-3'), prefetch, augment: flip }));
    const a = await run(source, 0);
    const b = await run(jittery(source, 7), 3);
    expect(a.length).toBe(6);
    expect(b.map((x) => x.indices)).toEqual(a.map((x) => x.indices));
    b.forEach((x, k) => {
      expect(Array.from(x.images)).toEqual(Array.from(a[k]!.images));
      expect(Array.from(x.masks!)).toEqual(Array.from(a[k]!.masks!));
    });
    // The order is a permutation of the indices, and another generator gives another one.
    expect(a.flatMap((x) => x.indices).sort((p, q) => p - q)).toEqual(Array.from({ length: 23 }, (_, i) => i));
    const other = await collect(streamImageBatches(source, Array.from({ length: 23 }, (_, i) => i), { batchSize: 4, size: { height: 4, width: 4 }, channels: 3, rng: new Rng('epoch-4') }));
    expect(other.map((x) => x.indices)).not.toEqual(a.map((x) => x.indices));
    // A resumed pass (same generator, first batches skipped) continues with the same batches.
    const resumed = (await run(source, 2)).slice(2);
    expect(resumed.map((x) => Array.from(x.images))).toEqual(a.slice(2).map((x) => Array.from(x.images)));
  });

  it('keeps the given order without a generator, packs masks with their images and drops the last batch on request', async () => {
    const batches = await collect(streamImageBatches(scenes(10), [9, 0, 4, 5, 6], { batchSize: 2, size: { height: 6, width: 9 }, channels: 1, dropLast: true }));
    expect(batches.map((b) => b.indices)).toEqual([[9, 0], [4, 5]]);
    expect(batches[0]!.channels).toBe(1);
    expect([batches[0]!.masks![0], batches[0]!.masks![54], batches[1]!.masks![0], batches[1]!.masks![54]]).toEqual([0, 0, 1, 2]);
    expect(batches[0]!.images[0]).toBeCloseTo(0.299 * 0.9, 5);
  });

  it('fails at the batch holding a bad file, naming it, after handing out the batches before it', async () => {
    const root = tempDir('bad');
    for (let i = 0; i < 8; i++) writeImage(join(root, `${i}.png`), 3, 3);
    writeFileSync(join(root, '5.png'), 'garbage');
    const seen: number[][] = [];
    const run = async () => {
      for await (const b of streamImageBatches(imageFolderSource(root), [0, 1, 2, 3, 4, 5, 6, 7], { batchSize: 2, size: { height: 3, width: 3 }, channels: 3, prefetch: 3 })) seen.push(b.indices);
    };
    await expect(run()).rejects.toThrow(/5\.png: unreadable image/);
    expect(seen).toEqual([[0, 1], [2, 3]]);
  });

  it('names a file whose size differs from the input size when resize is "none"', async () => {
    const root = tempDir('sizes');
    writeImage(join(root, 'a.png'), 3, 3);
    writeImage(join(root, 'b.png'), 5, 3);
    await expect(collect(streamImageBatches(imageFolderSource(root), [0, 1], { batchSize: 2, size: { height: 3, width: 3 }, channels: 3, resize: 'none' }))).rejects.toThrow(/b\.png: image is 5×3 but the model input is 3×3/);
  });
});

describe('unlabelledPool', () => {
  it('pools parts of several sources as unlabelled samples, masks dropped', async () => {
    const root = tempDir('pool');
    writeImage(join(root, 'r.png'), 6, 9);
    const pool = unlabelledPool([{ source: scenes(10), indices: [7, 2] }, { source: imageFolderSource(root), indices: [0] }]);
    expect([pool.kind, pool.length, pool.id(0), pool.id(2)]).toEqual(['unlabelled', 3, 'scenes#7', join(root, 'r.png')]);
    const batches = await collect(streamImageBatches(pool, [0, 1, 2], { batchSize: 3, size: { height: 6, width: 9 }, channels: 3 }));
    expect(batches[0]!.masks).toBeUndefined();
    expect(batches[0]!.images[0]).toBeCloseTo(0.7, 6);
    expect(batches[0]!.images[6 * 9 * 3]).toBeCloseTo(0.2, 6);
  });
});

describe('loadImageBatches', () => {
  it('decodes batches a sampler chooses, pulling them lazily, at most 1 + prefetch ahead', async () => {
    let pulled = 0;
    function* sampler() {
      for (let b = 0; b < 50; b++) {
        pulled++;
        yield [b % 10, (b + 3) % 10];
      }
    }
    const gen = loadImageBatches(scenes(10), sampler(), { size: { height: 6, width: 9 }, channels: 3, prefetch: 1 });
    let seen = 0;
    for await (const b of gen) {
      seen++;
      expect(b.indices).toEqual([(seen - 1) % 10, (seen + 2) % 10]);
      expect(pulled).toBeLessThanOrEqual(seen + 1);
      if (seen === 7) break;
    }
    expect(pulled).toBe(8);
  });
});
