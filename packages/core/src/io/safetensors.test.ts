import { closeSync, mkdtempSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../backend';
import { expectNoLeaks } from '../testing/leaks';
import { measureInChild } from '../testing/measure';
import { readSafetensorsFile } from './safetensors-file';
import { bf16BitsToFloat, f16BitsToFloat, floatToBf16Bits, floatToF16Bits } from './float16';
import { parseSafetensors, serializeSafetensors, toTensorMap, type SafetensorsDtype, type SafetensorsError, type SafetensorsInput } from './safetensors';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/core/${name}`, import.meta.url)));

/** A file from a header (object or raw string) and a byte buffer; `n` overrides the length field. */
function file(header: unknown, buffer: number[] | Uint8Array = [], n?: number): Uint8Array {
  const json = header instanceof Uint8Array ? header : new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + buffer.length);
  new DataView(out.buffer).setUint32(0, n ?? json.length, true);
  out.set(json, 8);
  out.set(buffer, 8 + json.length);
  return out;
}

function errorOf(bytes: Uint8Array): SafetensorsError {
  try {
    parseSafetensors(bytes);
  } catch (e) {
    return e as SafetensorsError;
  }
  throw new Error('the file was accepted');
}

const f32 = (name: string, begin: number, end: number, shape = [(end - begin) / 4]) => ({ [name]: { dtype: 'F32', shape, data_offsets: [begin, end] } });

describe('parseSafetensors rejects each defect with its own error naming the tensor', () => {
  const cases: [string, Uint8Array, string, RegExp][] = [
    ['shorter than the length field', new Uint8Array(5), 'HeaderTooSmall', /5 bytes, fewer than the 8-byte/],
    ['header over 100 MB', file('{}', [], 100_000_001), 'HeaderTooLarge', /100000001 exceeds/],
    ['header length past the end', file('{}', [], 3), 'InvalidHeaderLength', /8 \+ 3 > 10 bytes/],
    ['header not UTF-8', file('{"a":1}').map((b, i) => (i === 10 ? 0xff : b)), 'InvalidHeaderUtf8', /not valid UTF-8/],
    ['header not starting with {', file('x{}'), 'InvalidHeaderStart', /must start with "\{"/],
    ['header that is a JSON array', file('[{}]'), 'InvalidHeaderStart', /must start with "\{"/],
    ['header not JSON', file('{"a":'), 'InvalidHeaderJson', /not valid JSON/],
    ['metadata not a string map', file({ __metadata__: { a: 1 } }), 'InvalidHeaderJson', /__metadata__/],
    ['entry without dtype', file({ w: { shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), 'InvalidTensorEntry', /tensor "w": no "dtype"/],
    ['unknown dtype', file({ w: { dtype: 'F17', shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), 'UnknownDtype', /tensor "w": dtype "F17" is not a safetensors dtype/],
    ['unsupported dtype', file({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, [0]), 'UnknownDtype', /"F8_E4M3" is not supported/],
    ['negative dimension', file({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, [0, 0, 0, 0]), 'InvalidTensorEntry', /tensor "w": "shape" must be/],
    ['offsets not a pair', file({ w: { dtype: 'F32', shape: [1], data_offsets: [0] } }, [0, 0, 0, 0]), 'InvalidTensorEntry', /tensor "w": "data_offsets" must be/],
    ['offsets ending before they begin', file({ ...f32('a', 0, 4), ...f32('b', 4, 0, [0]) }, [0, 0, 0, 0]), 'InvalidOffset', /tensor "b": data_offsets \[4, 0\] end before/],
    ['gap between tensors', file({ ...f32('a', 0, 4), ...f32('b', 8, 12) }, new Array(12).fill(0)), 'InvalidOffset', /tensor "b": .* gap of 4 bytes after tensor "a"/],
    ['overlapping tensors', file({ ...f32('a', 0, 8), ...f32('b', 4, 12) }, new Array(12).fill(0)), 'InvalidOffset', /tensor "b": .* overlaps tensor "a"/],
    ['first tensor not at 0', file(f32('a', 4, 8), new Array(8).fill(0)), 'InvalidOffset', /gap of 4 bytes after the buffer start/],
    ['size not numel × itemsize', file(f32('a', 0, 8, [3]), new Array(8).fill(0)), 'TensorInvalidInfo', /tensor "a": 8 bytes .* shape \[3\] of F32 needs 12/],
    ['truncated buffer', file(f32('a', 0, 8), [0, 0, 0, 0]), 'MetadataIncompleteBuffer', /tensor "a": .* run past the end of the 4-byte buffer/],
    ['trailing bytes', file(f32('a', 0, 4), new Array(6).fill(0)), 'MetadataIncompleteBuffer', /2 trailing bytes/],
    ['I64 value beyond int32', file({ ids: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 128, 0, 0, 0, 0]), 'ValueOutOfRange', /tensor "ids": I64 value 2147483648 at index 1 does not fit in int32/],
    ['U32 value beyond int32', file({ u: { dtype: 'U32', shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 128]), 'ValueOutOfRange', /U32 value 2147483648/],
  ];
  test.each(cases)('%s', (_what, bytes, code, message) => {
    const e = errorOf(bytes);
    expect(e.name).toBe('SafetensorsError');
    expect(e.code).toBe(code);
    expect(e.message).toMatch(message);
  });

  test('the fixture file truncated by 4 bytes is rejected', () => {
    expect(errorOf(fixture('dtypes.safetensors').slice(0, 709)).code).toBe('MetadataIncompleteBuffer');
  });
});

describe('hostile headers: limits, duplicates, BOM, BOOL bytes, overflowing shapes', () => {
  const entry = (extra: string) => `{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]${extra}}}`;
  test('a dtype/shape/data_offsets nested 200,000 deep is a typed HeaderTooDeep naming the limit, not a stack overflow', () => {
    for (const key of ['dtype', 'shape', 'data_offsets']) {
      const deep = '['.repeat(200_000) + ']'.repeat(200_000);
      const e = errorOf(file(`{"w":{"${key}":${deep}}}`));
      expect(e).toBeInstanceOf(Error);
      expect(e.code).toBe('HeaderTooDeep');
      expect(e.limit).toEqual({ name: 'maxDepth', max: 128, value: 129 });
      expect(e.message).toMatch(/over the limit maxDepth = 128/);
    }
  });

  test('depth up to the limit (serde_json recursion limit 128) is accepted; the limit is configurable', () => {
    const nested = (d: number) => '['.repeat(d) + ']'.repeat(d);
    // Unknown entry fields are ignored, as serde ignores them; the header object itself is depth 1, the entry 2.
    expect(() => parseSafetensors(file(entry(`,"x":${nested(126)}`), [0, 0, 0, 0]))).not.toThrow();
    expect(errorOf(file(entry(`,"x":${nested(127)}`), [0, 0, 0, 0])).code).toBe('HeaderTooDeep');
    const e = (() => {
      try {
        parseSafetensors(file(entry(''), [0, 0, 0, 0]), { maxDepth: 1, file: 'm.safetensors' });
      } catch (err) {
        return err as SafetensorsError;
      }
      throw new Error('accepted');
    })();
    expect(e.message).toMatch(/^m\.safetensors: safetensors: header nests .* over the limit maxDepth = 1/);
  });

  test('more tensors than maxTensors is TooManyTensors, before JSON.parse', () => {
    const header = { ...f32('a', 0, 0, [0]), ...f32('b', 0, 0, [0]), ...f32('c', 0, 0, [0]), __metadata__: { k: 'v' } };
    expect(() => parseSafetensors(file(header), { maxTensors: 3 })).not.toThrow();
    expect(() => parseSafetensors(file(header), { maxTensors: 2 })).toThrow(/more than the limit maxTensors = 2 tensors/);
  });

  test('duplicate keys are refused wherever they are (JSON.parse would keep the last)', () => {
    // The same entry twice with F32 then I32: JSON.parse alone decodes it as I32.
    const dupField = `{"w":{"dtype":"F32","dtype":"I32","shape":[1],"data_offsets":[0,4]}}`;
    const e1 = errorOf(file(dupField, [0, 0, 128, 63]));
    expect(e1.code).toBe('DuplicateKey');
    expect(e1.message).toMatch(/tensor "w" has the key "dtype" twice/);
    const dupTensor = `{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"w":{"dtype":"I32","shape":[1],"data_offsets":[0,4]}}`;
    expect(errorOf(file(dupTensor, [0, 0, 128, 63])).message).toMatch(/the header has the key "w" twice/);
    // Escaped spellings of one key are the same key.
    expect(errorOf(file(`{"w":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"\\u0077":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, [0, 0, 0, 0])).code).toBe('DuplicateKey');
    expect(errorOf(file(`{"__metadata__":{"a":"1","a":"2"}}`)).message).toMatch(/"__metadata__" has the key "a" twice/);
    // The same key in two different objects is fine.
    expect(() => parseSafetensors(file({ ...f32('a', 0, 4), ...f32('b', 4, 8) }, new Array(8).fill(0)))).not.toThrow();
  });

  test('a UTF-8 byte order mark is refused; JSON whitespace padding is accepted (as the reference reader)', () => {
    const bom = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(entry(''))]);
    const e = errorOf(file(bom, [0, 0, 0, 0]));
    expect(e.code).toBe('InvalidHeaderStart');
    expect(e.message).toMatch(/byte order mark/);
    expect(parseSafetensors(file(` \t\n${entry('')}\r `, [0, 0, 0, 0])).tensors.get('w')!.shape).toEqual([1]);
  });

  test('BOOL bytes other than 0 and 1 are refused naming the tensor and index', () => {
    for (const b of [2, 255]) {
      const e = errorOf(file({ m: { dtype: 'BOOL', shape: [3], data_offsets: [0, 3] } }, [1, 0, b]));
      expect(e.code).toBe('InvalidBool');
      expect(e.message).toMatch(new RegExp(`tensor "m": BOOL byte ${b} at index 2`));
    }
  });

  test('a zero-element shape whose dimensions overflow u64 before the zero is refused (checked product, as the reference)', () => {
    const big = 2 ** 40;
    const e = errorOf(file({ z: { dtype: 'F32', shape: [big, big, 0], data_offsets: [0, 0] } }));
    expect(e.code).toBe('ValidationOverflow');
    expect(e.message).toMatch(/tensor "z": shape \[1099511627776, 1099511627776, 0\] of F32 overflows/);
    // A zero first keeps every partial product at 0: accepted by the reference reader, and here.
    expect(parseSafetensors(file({ z: { dtype: 'F32', shape: [0, big, big], data_offsets: [0, 0] } })).tensors.get('z')!.data.length).toBe(0);
  });

  test('messages stay short whatever the header holds', () => {
    const e = errorOf(file({ ['n'.repeat(100_000)]: { dtype: 'x'.repeat(1_000_000), shape: [1], data_offsets: [0, 4] } }, [0, 0, 0, 0]));
    expect(e.code).toBe('UnknownDtype');
    expect(e.message.length).toBeLessThan(300);
  });

  test('lone surrogate escapes in names are refused (not Unicode); the serializer refuses them too', async () => {
    expect(errorOf(file(`{"\\ud800":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, [0, 0, 0, 0])).code).toBe('InvalidHeaderJson');
    await expect(serializeSafetensors(new Map([['\ud800', { dtype: 'U8', shape: [1], data: [1] }]]))).rejects.toThrow(/lone UTF-16 surrogate/);
  });

  test('a tensor named "__proto__" round-trips', async () => {
    const parsed = parseSafetensors(await serializeSafetensors(new Map([['__proto__', { dtype: 'U8', shape: [2], data: [1, 2] }]])));
    expect([...parsed.tensors.keys()]).toEqual(['__proto__']);
    expect(Array.from(parsed.tensors.get('__proto__')!.data)).toEqual([1, 2]);
  });

  test('readSafetensorsFile checks the header length before reading the file and names it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lel-st-'));
    const path = join(dir, 'big-header.safetensors');
    writeFileSync(path, file('{}', [], 200_000_000));
    await expect(readSafetensorsFile(path)).rejects.toThrow(`${path}: safetensors: header length 200000000 exceeds the limit maxHeaderSize = 100000000 bytes`);
    await expect(readSafetensorsFile(join(dir, 'missing.safetensors'))).rejects.toThrow(/missing\.safetensors: cannot read safetensors file \(ENOENT\)/);
  });

  test('a 98 MB header nested 49 M deep is refused within the limits of time and memory (measured in a fresh process)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lel-st-'));
    const path = join(dir, 'deep.safetensors');
    const depth = 49_000_000;
    const open = Buffer.from('{"w":{"dtype":');
    const length = Buffer.alloc(8);
    length.writeUInt32LE(open.length + 2 * depth + 2, 0);
    const fd = openSync(path, 'w');
    writeSync(fd, Buffer.concat([length, open]));
    for (const ch of ['[', ']']) {
      const chunk = Buffer.alloc(1_000_000, ch);
      for (let left = depth; left > 0; left -= chunk.length) writeSync(fd, chunk, 0, Math.min(left, chunk.length));
    }
    writeSync(fd, Buffer.from('}}'));
    closeSync(fd);
    const m = await measureInChild(new URL('./safetensors-file.ts', import.meta.url), 'readSafetensorsFile', [path], { timeoutMs: 30_000 });
    expect(m.ok).toBe(false);
    expect(m.error!.message).toMatch(/HeaderTooDeep|over the limit maxDepth = 128/);
    // Reading the 98 MB file is most of it; before the limits this took 22 s and 5 GB.
    expect(m.ms).toBeLessThan(3000);
    expect(m.peakRssDeltaMb).toBeLessThan(400);
  });
});

describe('safetensors round trips', () => {
  beforeAll(() => useBackend('cpu'));

  test('re-serialising the official fixture reproduces it byte for byte', async () => {
    const bytes = fixture('dtypes.safetensors');
    const parsed = parseSafetensors(bytes);
    expect(await serializeSafetensors(parsed.tensors, parsed.metadata)).toEqual(bytes);
    // The misaligned variant decodes to the same values.
    const mis = parseSafetensors(fixture('dtypes-misaligned.safetensors'));
    for (const [name, t] of parsed.tensors) expect(mis.tensors.get(name)!.data).toEqual(t.data);
  });

  const edge: Record<SafetensorsDtype, number[]> = {
    F64: [1.5, -0.1, 1e300, -0],
    F32: [1.5, -2.25, 3.4028234663852886e38, 1.401298464324817e-45],
    F16: [1, -2.5, 65504, 5.960464477539063e-8, -0],
    BF16: [1, -3.140625, 9.183549615799121e-41],
    I64: [0, -1, 2147483647, -2147483648],
    I32: [0, -1, 2147483647, -2147483648],
    I16: [-32768, 32767],
    I8: [-128, 127],
    U64: [0, 2147483647],
    U32: [0, 2147483647],
    U16: [0, 65535],
    U8: [0, 255],
    BOOL: [0, 1],
  };
  test('every dtype round-trips through serialize and parse, in official order', async () => {
    const input = new Map<string, SafetensorsInput>(Object.entries(edge).map(([d, data]) => [`t_${d}`, { dtype: d as SafetensorsDtype, shape: [data.length], data }]));
    const parsed = parseSafetensors(await serializeSafetensors(input, { k: 'v' }));
    expect(parsed.metadata).toEqual({ k: 'v' });
    for (const [d, data] of Object.entries(edge)) {
      const t = parsed.tensors.get(`t_${d}`)!;
      expect(t.dtype).toBe(d);
      expect(Array.from(t.data)).toEqual(d === 'F64' ? data.map((x) => Math.fround(x)) : data);
    }
    // Wider dtypes first (Rust enum order, descending), ties by name.
    expect([...parsed.tensors.keys()]).toEqual(['t_U64', 't_I64', 't_F64', 't_F32', 't_U32', 't_I32', 't_BF16', 't_F16', 't_U16', 't_I16', 't_I8', 't_U8', 't_BOOL']);
    expect((8 + parsed.headerSize) % 8).toBe(0);
  });

  test('tfjs tensors: float32 as F32/F16/BF16, int32, bool; toTensorMap restores them', async () => {
    const tensors = new Map<string, tf.Tensor>([
      ['w', tf.tensor2d([[1, 1.0009765625, 1.00048828125]])],
      ['ids', tf.tensor1d([3, -7], 'int32')],
      ['mask', tf.tensor1d([true, false], 'bool')],
    ]);
    const half = parseSafetensors(await expectNoLeaks(() => serializeSafetensors(tensors, undefined, { dtype: 'F16' })));
    expect(half.tensors.get('w')!.dtype).toBe('F16');
    expect(Array.from(half.tensors.get('w')!.data)).toEqual([1, 1.0009765625, 1]); // the tie rounds to even
    expect(parseSafetensors(await serializeSafetensors(tensors, undefined, { dtype: 'BF16' })).tensors.get('w')!.data).toEqual(new Float32Array([1, 1, 1]));
    const back = toTensorMap(parseSafetensors(await serializeSafetensors(tensors)));
    expect(back.get('w')!.dtype).toBe('float32');
    expect(back.get('ids')!.dtype).toBe('int32');
    expect(back.get('mask')!.dtype).toBe('bool');
    expect(Array.from(back.get('w')!.dataSync())).toEqual(Array.from(tensors.get('w')!.dataSync()));
    expect(back.get('w')!.shape).toEqual([1, 3]);
    tf.dispose([...tensors.values(), ...back.values()]);
  });

  test('serialize rejects bad input by tensor name', async () => {
    await expect(serializeSafetensors(new Map([['x', { dtype: 'I8', shape: [1], data: [200] }]]))).rejects.toThrow(/tensor "x": value 200 at index 0 is not a I8 integer/);
    await expect(serializeSafetensors(new Map([['x', { dtype: 'F32', shape: [2], data: [1] }]]))).rejects.toThrow(/tensor "x": 1 values for shape \[2\]/);
    await expect(serializeSafetensors(new Map([['x', { dtype: 'Q4' as never, shape: [1], data: [1] }]]))).rejects.toThrow(/tensor "x": unknown dtype "Q4"/);
    await expect(serializeSafetensors(new Map(), { a: 1 as never })).rejects.toThrow(/metadata "a" must be a string/);
  });
});

describe('F16 / BF16 conversion', () => {
  test('every F16 value round-trips and every midpoint rounds to the even neighbour', () => {
    for (let h = 0; h < 0x10000; h++) {
      const x = f16BitsToFloat(h);
      if (Number.isNaN(x)) {
        expect(Number.isNaN(f16BitsToFloat(floatToF16Bits(x)))).toBe(true);
        continue;
      }
      expect(floatToF16Bits(x)).toBe(h);
      const next = h + 1;
      if ((h & 0x7fff) < 0x7bff && (h & 0x8000) === ((next & 0x8000))) {
        // Midpoint of two finite neighbours of the same sign (exact in float32).
        const mid = (x + f16BitsToFloat(next)) / 2;
        expect(floatToF16Bits(mid)).toBe(h & 1 ? next : h);
      }
    }
    expect(floatToF16Bits(65520)).toBe(0x7c00); // halfway past the largest half rounds up to Infinity
    expect(floatToF16Bits(65519)).toBe(0x7bff);
    expect(floatToF16Bits(2 ** -25)).toBe(0); // half the smallest subnormal: tie to even (0)
    expect(floatToF16Bits(2 ** -25 * 1.0000001)).toBe(1);
  });

  test('BF16 rounds to nearest even and keeps NaN', () => {
    expect(floatToBf16Bits(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBf16Bits(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(floatToBf16Bits(1 + 2 ** -8 + 2 ** -20)).toBe(0x3f81);
    expect(bf16BitsToFloat(floatToBf16Bits(-3.140625))).toBe(-3.140625);
    expect(Number.isNaN(bf16BitsToFloat(floatToBf16Bits(NaN)))).toBe(true);
    expect(floatToBf16Bits(3.4028234663852886e38)).toBe(0x7f80); // rounds up to Infinity, as torch
  });
});
