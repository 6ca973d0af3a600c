import { readFileSync } from 'node:fs';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { beforeAll, describe, expect, test } from 'vitest';
import { useBackend } from '../backend';
import { expectNoLeaks } from '../testing/leaks';
import { bf16BitsToFloat, f16BitsToFloat, floatToBf16Bits, floatToF16Bits } from './float16';
import { parseSafetensors, serializeSafetensors, toTensorMap, type SafetensorsDtype, type SafetensorsError, type SafetensorsInput } from './safetensors';

const fixture = (name: string) => new Uint8Array(readFileSync(new URL(`../fixtures/core/${name}`, import.meta.url)));

/** A file from a header (object or raw string) and a byte buffer; `n` overrides the length field. */
function file(header: unknown, buffer: number[] | Uint8Array = [], n?: number): Uint8Array {
  const json = new TextEncoder().encode(typeof header === 'string' ? header : JSON.stringify(header));
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
    ['header not starting with {', file(' {}'), 'InvalidHeaderStart', /must start with "\{"/],
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

describe('safetensors round trips', () => {
  beforeAll(() => useBackend('cpu'));

  test('re-serialising the official fixture reproduces it byte for byte', () => {
    const bytes = fixture('dtypes.safetensors');
    const parsed = parseSafetensors(bytes);
    expect(serializeSafetensors(parsed.tensors, parsed.metadata)).toEqual(bytes);
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
  test('every dtype round-trips through serialize and parse, in official order', () => {
    const input = new Map<string, SafetensorsInput>(Object.entries(edge).map(([d, data]) => [`t_${d}`, { dtype: d as SafetensorsDtype, shape: [data.length], data }]));
    const parsed = parseSafetensors(serializeSafetensors(input, { k: 'v' }));
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
    expect(parseSafetensors(serializeSafetensors(tensors, undefined, { dtype: 'BF16' })).tensors.get('w')!.data).toEqual(new Float32Array([1, 1, 1]));
    const back = toTensorMap(parseSafetensors(serializeSafetensors(tensors)));
    expect(back.get('w')!.dtype).toBe('float32');
    expect(back.get('ids')!.dtype).toBe('int32');
    expect(back.get('mask')!.dtype).toBe('bool');
    expect(Array.from(back.get('w')!.dataSync())).toEqual(Array.from(tensors.get('w')!.dataSync()));
    expect(back.get('w')!.shape).toEqual([1, 3]);
    tf.dispose([...tensors.values(), ...back.values()]);
  });

  test('serialize rejects bad input by tensor name', () => {
    expect(() => serializeSafetensors(new Map([['x', { dtype: 'I8', shape: [1], data: [200] }]]))).toThrow(/tensor "x": value 200 at index 0 is not a I8 integer/);
    expect(() => serializeSafetensors(new Map([['x', { dtype: 'F32', shape: [2], data: [1] }]]))).toThrow(/tensor "x": 1 values for shape \[2\]/);
    expect(() => serializeSafetensors(new Map([['x', { dtype: 'Q4' as never, shape: [1], data: [1] }]]))).toThrow(/tensor "x": unknown dtype "Q4"/);
    expect(() => serializeSafetensors(new Map(), { a: 1 as never })).toThrow(/metadata "a" must be a string/);
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
