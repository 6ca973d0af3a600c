// Property-based tests of the safetensors reader and writer (fast-check). `pnpm test` runs a few hundred
// cases per property with a fixed seed; `pnpm fuzz` runs thousands with a random seed and a time limit.
import fc from 'fast-check';
import { describe, test, expect } from 'vitest';
import { runProperty } from '../testing/fuzz';
import { bf16BitsToFloat, f16BitsToFloat, floatToBf16Bits, floatToF16Bits } from './float16';
import { parseSafetensors, SafetensorsError, serializeSafetensors, type SafetensorsDtype, type SafetensorsInput } from './safetensors';

type Raw = { dtype: SafetensorsDtype; shape: number[]; data: number[] };

const DTYPES: SafetensorsDtype[] = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U64', 'U32', 'U16', 'U8', 'BOOL'];
// Values each dtype stores and decodes back (integers within int32, the decoded storage).
const VALUE: Record<SafetensorsDtype, fc.Arbitrary<number>> = {
  F64: fc.double(),
  F32: fc.float(),
  F16: fc.float(),
  BF16: fc.float(),
  I64: fc.integer(),
  I32: fc.integer(),
  I16: fc.integer({ min: -32768, max: 32767 }),
  I8: fc.integer({ min: -128, max: 127 }),
  U64: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  U32: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  U16: fc.integer({ min: 0, max: 65535 }),
  U8: fc.integer({ min: 0, max: 255 }),
  BOOL: fc.integer({ min: 0, max: 1 }),
};

/** What a stored value decodes to. */
function decoded(dtype: SafetensorsDtype, x: number): number {
  if (dtype === 'F64' || dtype === 'F32') return Math.fround(x);
  if (dtype === 'F16') return f16BitsToFloat(floatToF16Bits(x));
  if (dtype === 'BF16') return bf16BitsToFloat(floatToBf16Bits(x));
  return x;
}

const shapeArb = fc.array(fc.integer({ min: 0, max: 4 }), { maxLength: 4 });
const tensorArb: fc.Arbitrary<Raw> = fc
  .tuple(fc.constantFrom(...DTYPES), shapeArb)
  .chain(([dtype, shape]) => {
    const numel = shape.reduce((a, b) => a * b, 1);
    return fc.array(VALUE[dtype], { minLength: numel, maxLength: numel }).map((data) => ({ dtype, shape, data }));
  });
// Any well-formed Unicode name (the format's keys are JSON strings), including "__proto__" and "".
const nameArb = fc.oneof(fc.string({ unit: 'binary', maxLength: 12 }), fc.constantFrom('__proto__', '', 'constructor', 'a.b', '\\"')).filter((n) => n !== '__metadata__');
const filesArb = fc.record({
  tensors: fc.uniqueArray(fc.tuple(nameArb, tensorArb), { selector: ([n]) => n, maxLength: 6 }),
  metadata: fc.option(fc.dictionary(fc.string({ unit: 'binary', maxLength: 8 }), fc.string({ unit: 'binary', maxLength: 8 }), { maxKeys: 3 }), { nil: undefined }),
});

const same = (a: number, b: number): boolean => Object.is(a, b) || (Number.isNaN(a) && Number.isNaN(b));

/** Parse, accepting only success or a SafetensorsError; anything else fails the property. */
function parseOrTypedError(bytes: Uint8Array): ReturnType<typeof parseSafetensors> | SafetensorsError {
  try {
    return parseSafetensors(bytes);
  } catch (e) {
    if (e instanceof SafetensorsError) return e;
    throw new Error(`untyped error ${(e as Error)?.name}: ${(e as Error)?.message}`, { cause: e });
  }
}

/** Invariants of any accepted file: sizes match shapes and the tensors tile the byte buffer. */
function checkAccepted(bytes: Uint8Array, parsed: ReturnType<typeof parseSafetensors>): void {
  let covered = 0;
  for (const [name, t] of parsed.tensors) {
    const numel = t.shape.reduce((a, b) => a * b, 1);
    if (t.data.length !== numel) throw new Error(`tensor ${name}: ${t.data.length} values for shape [${t.shape}]`);
    covered += t.dataOffsets[1] - t.dataOffsets[0];
    if (t.dtype === 'BOOL' && t.data.some((b) => b > 1)) throw new Error(`tensor ${name}: BOOL byte > 1 accepted`);
  }
  if (8 + parsed.headerSize + covered !== bytes.length) throw new Error(`tensors cover ${covered} bytes of ${bytes.length - 8 - parsed.headerSize}`);
}

function serialize(f: { tensors: [string, Raw][]; metadata: Record<string, string> | undefined }): Promise<Uint8Array> {
  return serializeSafetensors(new Map<string, SafetensorsInput>(f.tensors), f.metadata);
}

// Mutations an attacker or a bad disk applies to a valid file.
const mutationArb = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ maxLength: 8 }) }),
  fc.record({ kind: fc.constant('flipData' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant('deep' as const), at: fc.nat(), depth: fc.oneof(fc.integer({ min: 1, max: 200 }), fc.integer({ min: 1, max: 300_000 })) }),
  fc.record({ kind: fc.constant('length' as const), value: fc.oneof(fc.nat(), fc.constantFrom(0, 1, 2 ** 32, 2 ** 53, 100_000_001)) }),
  fc.record({ kind: fc.constant('text' as const), at: fc.nat(), text: fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', '0', '-1', '1e400', 'null', '"BOOL"', '"F8_E4M3"', '\uFEFF', ' ', '[9007199254740993]') }),
);
type Mutation = typeof mutationArb extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Uint8Array, m: Mutation): Uint8Array {
  const out = bytes.slice();
  const at = (n: number, len: number) => (len === 0 ? 0 : n % len);
  switch (m.kind) {
    case 'flip':
      if (out.length > 0) out[at(m.at, out.length)] = m.value;
      return out;
    case 'flipData': {
      const n = headerLength(out);
      if (out.length > 8 + n) out[8 + n + at(m.at, out.length - 8 - n)] = m.value;
      return out;
    }
    case 'deep': {
      // A member whose value nests arrays `depth` deep, added to an object of the header (valid JSON).
      const n = headerLength(out);
      const brace = out.indexOf(0x7b, 8 + at(m.at, Math.max(1, n)));
      if (brace < 0 || brace >= 8 + n) return out;
      return spliceText(out, brace + 1, `"deep":${'['.repeat(m.depth)}${']'.repeat(m.depth)},`);
    }
    case 'truncate':
      return out.slice(0, at(m.at, out.length + 1));
    case 'insert': {
      const i = at(m.at, out.length + 1);
      const res = new Uint8Array(out.length + m.bytes.length);
      res.set(out.subarray(0, i));
      res.set(m.bytes, i);
      res.set(out.subarray(i), i + m.bytes.length);
      return res;
    }
    case 'length':
      if (out.length >= 8) new DataView(out.buffer).setBigUint64(0, BigInt(m.value), true);
      return out;
    case 'text':
      return spliceText(out, 8 + at(m.at, Math.max(1, headerLength(out))), m.text);
  }
}

const headerLength = (bytes: Uint8Array): number => (bytes.length >= 8 ? Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true)) : 0);

/** Insert `text` at byte `i` of the header, growing the header length to match. */
function spliceText(bytes: Uint8Array, at: number, text: string): Uint8Array {
  const n = headerLength(bytes);
  const i = Math.min(at, bytes.length);
  const t = new TextEncoder().encode(text);
  const res = new Uint8Array(bytes.length + t.length);
  res.set(bytes.subarray(0, i));
  res.set(t, i);
  res.set(bytes.subarray(i), i + t.length);
  if (res.length >= 8) new DataView(res.buffer).setBigUint64(0, BigInt(n + t.length), true);
  return res;
}

// Header JSON with valid-looking and hostile entries.
const entryArb = fc.record(
  {
    dtype: fc.oneof(fc.constantFrom<unknown>(...DTYPES, 'F8_E4M3', 'C64', 'f32', ''), fc.jsonValue({ maxDepth: 2 })),
    shape: fc.oneof(fc.array(fc.oneof(fc.integer({ min: 0, max: 5 }), fc.constantFrom(2 ** 32, 2 ** 40, 2 ** 53 - 1, 2 ** 53, -1, 1.5)), { maxLength: 5 }), fc.jsonValue({ maxDepth: 3 })),
    data_offsets: fc.oneof(fc.tuple(fc.integer({ min: 0, max: 64 }), fc.integer({ min: 0, max: 64 })), fc.jsonValue({ maxDepth: 2 })),
  },
  { requiredKeys: [] },
);
const headerArb = fc.dictionary(fc.oneof(nameArb, fc.constant('__metadata__')), fc.oneof(entryArb, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 5 });

function fileOf(headerText: string, buffer: Uint8Array): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + buffer.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(buffer, 8 + json.length);
  return out;
}

describe('safetensors properties', () => {
  test('serialize → parse restores every tensor and the metadata; re-serialising is byte-identical', async () => {
    await runProperty('safetensors round trip', (p) =>
      fc.check(
        fc.asyncProperty(filesArb, async (f) => {
          const bytes = await serialize(f);
          const parsed = parseSafetensors(bytes);
          expect([...parsed.tensors.keys()].sort()).toEqual(f.tensors.map(([n]) => n).sort());
          for (const [name, t] of f.tensors) {
            const got = parsed.tensors.get(name)!;
            expect(got.dtype).toBe(t.dtype);
            expect(got.shape).toEqual(t.shape);
            const values = Array.from(got.data);
            expect(values.length).toBe(t.data.length);
            values.forEach((v, i) => {
              if (!same(v, decoded(t.dtype, t.data[i]!))) throw new Error(`tensor ${name} [${i}]: ${t.data[i]} decoded as ${v}`);
            });
          }
          expect(parsed.metadata).toEqual(f.metadata ?? {});
          const again = await serializeSafetensors(new Map<string, SafetensorsInput>(parsed.tensors), f.metadata);
          // F64 values are decoded to float32, so only files without F64 can reproduce the bytes.
          if (!f.tensors.some(([, t]) => t.dtype === 'F64')) expect(again).toEqual(bytes);
        }),
        p,
      ),
    );
  });

  test('any mutation of a valid file parses to a consistent file or throws a SafetensorsError', async () => {
    await runProperty('safetensors mutations', (p) =>
      fc.check(
        fc.asyncProperty(filesArb, fc.array(mutationArb, { minLength: 1, maxLength: 4 }), async (f, ms) => {
          const bytes = ms.reduce(mutate, await serialize(f));
          const r = parseOrTypedError(bytes);
          if (!(r instanceof SafetensorsError)) checkAccepted(bytes, r);
        }),
        p,
      ),
      300,
    );
  });

  test('any header JSON (entries valid-looking or not) parses consistently or throws a SafetensorsError', async () => {
    await runProperty('safetensors arbitrary headers', (p) =>
      fc.check(
        fc.property(headerArb, fc.uint8Array({ maxLength: 64 }), (header, buffer) => {
          const bytes = fileOf(JSON.stringify(header), buffer);
          const r = parseOrTypedError(bytes);
          if (!(r instanceof SafetensorsError)) checkAccepted(bytes, r);
        }),
        p,
      ),
      300,
    );
  });

  test('any bytes at all parse consistently or throw a SafetensorsError', async () => {
    await runProperty('safetensors random bytes', (p) =>
      fc.check(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 256 }), fc.tuple(fc.string({ maxLength: 64 }), fc.uint8Array({ maxLength: 32 })).map(([t, b]) => fileOf(t, b))), (bytes) => {
          const r = parseOrTypedError(bytes);
          if (!(r instanceof SafetensorsError)) checkAccepted(bytes, r);
        }),
        p,
      ),
    );
  });

  test('a duplicate key anywhere in a valid header is refused as DuplicateKey', async () => {
    await runProperty('safetensors duplicate keys', (p) =>
      fc.check(
        fc.asyncProperty(filesArb.filter((f) => f.tensors.length > 0), fc.nat(), fc.boolean(), async (f, which, inEntry) => {
          const [name, t] = f.tensors[which % f.tensors.length]!;
          const bytes = await serialize(f);
          const n = new DataView(bytes.buffer).getUint32(0, true);
          const text = new TextDecoder().decode(bytes.subarray(8, 8 + n)).trimEnd();
          const header = JSON.parse(text) as Record<string, unknown>;
          const entry = JSON.stringify(header[name]);
          const key = JSON.stringify(name);
          // Repeat the tensor (same entry) or one field of its entry; JSON.parse alone would accept both.
          const dup = inEntry ? text.replace(`${key}:${entry}`, `${key}:${entry.slice(0, -1)},"dtype":"${t.dtype}"}`) : text.replace(`${key}:${entry}`, `${key}:${entry},${key}:${entry}`);
          expect(dup).not.toBe(text);
          const buffer = bytes.subarray(8 + n);
          const e = parseOrTypedError(fileOf(dup, buffer));
          expect(e).toBeInstanceOf(SafetensorsError);
          expect((e as SafetensorsError).code).toBe('DuplicateKey');
        }),
        p,
      ),
    );
  });
});
