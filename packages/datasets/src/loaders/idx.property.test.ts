// Property-based tests of the IDX reader (fast-check): every type and shape round-trips, plain and gzipped;
// any mutation is read consistently with its header or refused with a DatasetError.
import { gzipSync } from 'node:zlib';
import { runProperty } from '@lel/core/testing';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DatasetError } from '../errors';
import { idxBytes } from '../fixtures/idx';
import { parseIdx } from './idx';

const TYPES: Record<number, fc.Arbitrary<number>> = {
  0x08: fc.integer({ min: 0, max: 255 }),
  0x09: fc.integer({ min: -128, max: 127 }),
  0x0b: fc.integer({ min: -32768, max: 32767 }),
  0x0c: fc.integer(),
  0x0d: fc.float({ noNaN: true }),
  0x0e: fc.double({ noNaN: true }),
};
const idxArb = fc
  .tuple(fc.constantFrom(0x08, 0x09, 0x0b, 0x0c, 0x0d, 0x0e), fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 4 }))
  .chain(([type, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    return fc.array(TYPES[type]!, { minLength: n, maxLength: n }).map((values) => ({ type, shape, values }));
  });

const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('dim' as const), at: fc.nat(), value: fc.oneof(fc.nat(), fc.constantFrom(0, 2 ** 32 - 1, 2 ** 31, 65536)) }),
  fc.record({ kind: fc.constant('append' as const), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }),
);

describe('IDX properties', () => {
  test('every type and shape round-trips, plain and gzip-compressed', async () => {
    await runProperty('idx round trip', (p) =>
      fc.check(
        fc.property(idxArb, fc.boolean(), ({ type, shape, values }, gz) => {
          const raw = idxBytes(type, shape, values);
          const a = parseIdx(gz ? gzipSync(raw) : raw, 'x.idx');
          expect(a.shape).toEqual(shape);
          expect(Array.from(a.data)).toEqual(type === 0x0d ? values.map(Math.fround) : values);
        }),
        p,
      ),
    );
  });

  test('any mutation, plain or inside the gzip, is read consistently with its header or is a DatasetError', async () => {
    await runProperty('idx mutations', (p) =>
      fc.check(
        fc.property(idxArb, fc.array(mutationArb, { minLength: 1, maxLength: 3 }), fc.boolean(), fc.boolean(), ({ type, shape, values }, ms, gz, mutateCompressed) => {
          let bytes: Uint8Array = idxBytes(type, shape, values);
          const apply = (b: Uint8Array) =>
            ms.reduce((acc: Uint8Array, m) => {
              const out = Uint8Array.from(acc);
              if (m.kind === 'flip' && out.length > 0) out[m.at % out.length] = m.value;
              if (m.kind === 'truncate') return out.slice(0, m.at % (out.length + 1));
              if (m.kind === 'dim' && out.length >= 8) new DataView(out.buffer).setUint32(4 + 4 * (m.at % Math.max(1, Math.min(out[3]!, (out.length - 4) >> 2))), m.value, false);
              if (m.kind === 'append') return Uint8Array.from([...out, ...m.bytes]);
              return out;
            }, b);
          if (gz) bytes = mutateCompressed ? apply(gzipSync(bytes)) : gzipSync(apply(bytes));
          else bytes = apply(bytes);
          let a: ReturnType<typeof parseIdx>;
          try {
            a = parseIdx(bytes, 'x.idx', { limits: { maxIdxBytes: 1_000_000 } });
          } catch (e) {
            if (e instanceof DatasetError) return;
            throw e;
          }
          expect(a.data.length).toBe(a.shape.reduce((x, y) => x * y, 1));
        }),
        p,
      ),
      300,
    );
  });
});
