import { describe, expect, test } from 'vitest';
// @ts-expect-error plain-JS build script without types
import { assembleSimd, bytesModule } from '../../../scripts/build-simd.mjs';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { lelSimdFor } from './lel-simd';

describe('LEL SIMD module', () => {
  test('the committed bytes are the assembly of lel-simd.wat', async () => {
    const committed = readFileSync(fileURLToPath(new URL('./lel-simd-bytes.ts', import.meta.url)), 'utf8');
    expect(committed).toBe(bytesModule(await assembleSimd()));
  });

  test('colsum and strided_copy on a memory of their own', () => {
    const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
    const memory = new wasm.Memory({ initial: 1 });
    const simd = lelSimdFor({ wasm: { asm: { memory } } })!;
    expect(simd).toBeDefined();
    const f = new Float32Array(memory.buffer);
    const rows = 5;
    const cols = 23; // 16 + 4 + 3
    for (let i = 0; i < rows * cols; i++) f[i] = Math.fround(Math.sin(i) * 3);
    simd.colsum(0, rows, cols, 4096);
    for (let j = 0; j < cols; j++) {
      let acc = f[j]!;
      for (let r = 1; r < rows; r++) acc = Math.fround(acc + f[r * cols + j]!);
      expect(f[1024 + j]).toBe(acc);
    }
    // Two runs of 3 floats with strides of 5 and 3 floats.
    simd.strided_copy(0, 8192, 2, 12, 20, 12);
    expect(Array.from(f.subarray(2048, 2054))).toEqual([f[0], f[1], f[2], f[5], f[6], f[7]]);
  });

  test('is unavailable for backends without a wasm heap', () => {
    expect(lelSimdFor({})).toBeUndefined();
    expect(lelSimdFor({ wasm: {} })).toBeUndefined();
  });
});

describe('transpose2d', () => {
  test.each([
    [4, 4, 4, 4],
    [7, 9, 9, 7],
    [13, 6, 8, 20],
    [1, 5, 5, 1],
    [5, 1, 3, 5],
    [32, 128, 256, 40],
    [150, 37, 40, 151],
  ])('rows %i cols %i srcStride %i dstStride %i', (rows, cols, srcStride, dstStride) => {
    const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
    const memory = new wasm.Memory({ initial: 8 });
    const simd = lelSimdFor({ wasm: { asm: { memory } } })!;
    const f = new Float32Array(memory.buffer);
    const src = 16; // bytes: unaligned-to-16 offsets are allowed
    const dst = 4 + 4 * 65536;
    for (let i = 0; i < rows * srcStride; i++) f[src / 4 + i] = i + 0.5;
    const sentinel = -7;
    f.fill(sentinel, dst / 4, dst / 4 + cols * dstStride + 8);
    simd.transpose2d(src, rows, cols, srcStride, dst, dstStride);
    for (let c = 0; c < cols; c++) {
      for (let r = 0; r < dstStride; r++) {
        const got = f[dst / 4 + c * dstStride + r];
        expect(got, `[${c}][${r}]`).toBe(r < rows ? f[src / 4 + r * srcStride + c] : sentinel);
      }
    }
  });
});

describe('gemm_batched', () => {
  test.each([
    [1, 4, 3, 8],
    [2, 7, 5, 12],
    [3, 9, 16, 4],
    [2, 13, 1, 20],
    [1, 1, 7, 4],
  ])('batch %i: [%i,%i]·[%i-col] equals an in-order float32 product', (batch, m, k, n) => {
    const wasm = (globalThis as unknown as { WebAssembly: { Memory: new (d: { initial: number }) => { buffer: ArrayBuffer } } }).WebAssembly;
    const memory = new wasm.Memory({ initial: 4 });
    const simd = lelSimdFor({ wasm: { asm: { memory } } })!;
    const f = new Float32Array(memory.buffer);
    const aOff = 64;
    const bOff = aOff + batch * m * k * 4 + 4; // deliberately not 16-byte aligned
    const cOff = bOff + batch * k * n * 4 + 8;
    for (let i = 0; i < batch * m * k; i++) f[aOff / 4 + i] = Math.fround(Math.sin(i + 1) * 2);
    for (let i = 0; i < batch * k * n; i++) f[bOff / 4 + i] = Math.fround(Math.cos(3 * i) * 1.5);
    f.fill(99, cOff / 4, cOff / 4 + batch * m * n + 4);
    simd.gemm_batched(aOff, bOff, cOff, batch, m, k, n);
    for (let b = 0; b < batch; b++) {
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) {
          let acc = 0;
          for (let kk = 0; kk < k; kk++) acc = Math.fround(acc + Math.fround(f[aOff / 4 + (b * m + i) * k + kk]! * f[bOff / 4 + (b * k + kk) * n + j]!));
          expect(f[cOff / 4 + (b * m + i) * n + j], `[${b}][${i}][${j}]`).toBe(acc);
        }
      }
    }
    expect(f[cOff / 4 + batch * m * n]).toBe(99);
  });
});
