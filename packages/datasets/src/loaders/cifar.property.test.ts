// Property-based tests of the CIFAR binary reader (fast-check): records round-trip; any bytes are read
// consistently (labels within the classes, 32×32×3 values in [0, 1]) or refused with a DatasetError.
import { runProperty } from '@lel/core/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DatasetError } from '../errors';
import { parseCifarBinary } from './cifar';

describe('CIFAR properties', () => {
  test('any bytes are read consistently or refused with a DatasetError; whole records round-trip', async () => {
    await runProperty('cifar bytes', (p) =>
      fc.check(
        fc.property(
          fc.constantFrom<10 | 100>(10, 100),
          fc.constantFrom<'coarse' | 'fine'>('coarse', 'fine'),
          fc.oneof(fc.uint8Array({ maxLength: 64 }), fc.integer({ min: 1, max: 3 }).chain((n) => fc.uint8Array({ minLength: n * 3074 - 1, maxLength: n * 3074 + 1 }))),
          (variant, labelKind, bytes) => {
            let d: ReturnType<typeof parseCifarBinary>;
            try {
              d = parseCifarBinary(bytes, 'x.bin', { variant, labelKind });
            } catch (e) {
              if (e instanceof DatasetError) return;
              throw e;
            }
            const record = variant === 10 ? 3073 : 3074;
            expect(d.n * record).toBe(bytes.length);
            expect(d.images.length).toBe(d.n * 3072);
            for (const y of d.labels) expect(y >= 0 && y < d.classNames.length).toBe(true);
            const at = variant === 100 && labelKind === 'fine' ? 1 : 0;
            for (let i = 0; i < d.n; i++) expect(d.labels[i]).toBe(bytes[i * record + at]);
            if (d.n > 0) expect(d.images[0]).toBe(Math.fround(bytes[record - 3072]! / 255));
          },
        ),
        p,
      ),
      100,
    );
  });
});
