// Property-based tests of the image and mask decoders (fast-check): valid files round-trip; any mutation of a
// valid file is either decoded consistently with its header or refused with a DatasetError — never another
// error, never an image of another size. Fixed seed in `pnpm test`, random under `pnpm fuzz`.
import { runProperty } from '@lel/core/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DatasetError } from '../errors';
import { pngFrom } from '../fixtures/hostile';
import { decodeImage, decodeMaskPng, encodeJpeg, encodePalettePng, encodePng } from './image';

const sizeArb = fc.record({ height: fc.integer({ min: 1, max: 9 }), width: fc.integer({ min: 1, max: 9 }) });
const imageArb = fc
  .tuple(sizeArb, fc.constantFrom<1 | 3>(1, 3))
  .chain(([{ height, width }, channels]) =>
    fc.array(fc.integer({ min: 0, max: 255 }), { minLength: height * width * channels, maxLength: height * width * channels }).map((v) => ({
      data: Float32Array.from(v, (x) => x / 255),
      height,
      width,
      channels,
    })),
  );
const maskArb = sizeArb.chain(({ height, width }) => fc.array(fc.integer({ min: 0, max: 255 }), { minLength: height * width, maxLength: height * width }).map((data) => ({ data, height, width })));

const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
  fc.record({ kind: fc.constant('u32' as const), at: fc.nat(), value: fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 31, 2 ** 32 - 1, 100_000, 20_000)) }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const out = Uint8Array.from(bytes);
  const at = (n: number, len: number) => (len === 0 ? 0 : n % len);
  if (m.kind === 'flip') {
    if (out.length > 0) out[at(m.at, out.length)] = m.value;
    return out;
  }
  if (m.kind === 'truncate') return out.slice(0, at(m.at, out.length + 1));
  if (m.kind === 'insert') {
    const i = at(m.at, out.length + 1);
    return Uint8Array.from([...out.subarray(0, i), ...m.bytes, ...out.subarray(i)]);
  }
  // Overwrite a big-endian u32 (PNG lengths and IHDR sizes are u32; JPEG sizes u16 pairs).
  if (out.length >= 4) new DataView(out.buffer).setUint32(at(m.at, out.length - 3), m.value, false);
  return out;
}

/** Decode, accepting only a result consistent with its own size or a DatasetError. */
function decodeOrDatasetError<T extends { height: number; width: number; data: ArrayLike<number> }>(decode: () => T, perPixel: (r: T) => number): T | DatasetError {
  let r: T;
  try {
    r = decode();
  } catch (e) {
    if (e instanceof DatasetError) return e;
    throw new Error(`untyped error ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  }
  if (r.data.length !== r.height * r.width * perPixel(r)) throw new Error(`decoded ${r.height}×${r.width} with ${r.data.length} values`);
  return r;
}

describe('image decoder properties', () => {
  test('PNG round trip: 8-bit grey and RGB images decode to exactly what was encoded', async () => {
    await runProperty('png round trip', (p) =>
      fc.check(
        fc.property(imageArb, (img) => {
          const back = decodeImage(encodePng(img), 'x.png');
          expect([back.height, back.width, back.channels]).toEqual([img.height, img.width, img.channels]);
          expect(Array.from(back.data)).toEqual(Array.from(img.data));
        }),
        p,
      ),
    );
  });

  test('palette mask round trip', async () => {
    await runProperty('mask round trip', (p) =>
      fc.check(
        fc.property(maskArb, (m) => {
          const back = decodeMaskPng(encodePalettePng(m.data, m.height, m.width), 'm.png');
          expect(Array.from(back.data)).toEqual(m.data);
        }),
        p,
      ),
    );
  });

  test('any mutation of a PNG decodes to an image consistent with its size, or is a DatasetError', async () => {
    await runProperty('png mutations', (p) =>
      fc.check(
        fc.property(imageArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (img, ms) => {
          const bytes = ms.reduce(mutate, encodePng(img) as Uint8Array);
          decodeOrDatasetError(() => decodeImage(bytes, 'x.png'), (r) => r.channels);
        }),
        p,
      ),
      300,
    );
  });

  test('any mutation of a mask decodes consistently or is a DatasetError', async () => {
    await runProperty('mask mutations', (p) =>
      fc.check(
        fc.property(maskArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (m, ms) => {
          const bytes = ms.reduce(mutate, encodePalettePng(m.data, m.height, m.width) as Uint8Array);
          decodeOrDatasetError(() => decodeMaskPng(bytes, 'm.png'), () => 1);
        }),
        p,
      ),
      300,
    );
  });

  test('a PNG whose header and image data disagree in size is refused, never padded or cut', async () => {
    await runProperty('png header vs data', (p) =>
      fc.check(
        fc.property(sizeArb, sizeArb, fc.constantFrom(0, 2, 4, 6), (declared, actual, colorType) => {
          const samples = { 0: 1, 2: 3, 4: 2, 6: 4 }[colorType]!;
          const rowBytes = actual.width * samples + 1;
          const png = pngFrom({ ...declared, colorType }, new Uint8Array(actual.height * rowBytes));
          const r = decodeOrDatasetError(() => decodeImage(png, 'x.png'), (img) => img.channels);
          const same = declared.height * (declared.width * samples + 1) === actual.height * rowBytes;
          if (r instanceof DatasetError) expect(same).toBe(false);
          else expect([r.height, r.width]).toEqual([declared.height, declared.width]);
        }),
        p,
      ),
    );
  });

  test('any mutation of a JPEG decodes consistently or is a DatasetError', async () => {
    // jpeg-js's encoder rebuilds its tables per call (~0.5 s): a few JPEGs encoded once, mutated many times.
    const jpegs = fc.sample(imageArb, { numRuns: 4, seed: 1 }).map((img) => encodeJpeg(img) as Uint8Array);
    await runProperty('jpeg mutations', (p) =>
      fc.check(
        fc.property(fc.constantFrom(...jpegs), fc.array(mutationArb, { minLength: 1, maxLength: 3 }), (jpeg, ms) => {
          const bytes = ms.reduce(mutate, jpeg);
          decodeOrDatasetError(() => decodeImage(bytes, 'x.jpg'), (r) => r.channels);
        }),
        p,
      ),
      300,
    );
  });

  test('any bytes decode consistently or are a DatasetError', async () => {
    await runProperty('image random bytes', (p) =>
      fc.check(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, ...b])), fc.uint8Array({ maxLength: 200 }).map((b) => Uint8Array.from([0xff, 0xd8, 0xff, ...b]))), (bytes) => {
          decodeOrDatasetError(() => decodeImage(bytes, 'x'), (r) => r.channels);
          decodeOrDatasetError(() => decodeMaskPng(bytes, 'x'), () => 1);
        }),
        p,
      ),
    );
  });
});
