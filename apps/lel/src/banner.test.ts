import { describe, expect, test } from 'vitest';
import type { BackendInfo } from '@lel/core';
import { formatBanner } from './banner';

const wasm: BackendInfo = { name: 'wasm', tfName: 'wasm', packageName: '@tensorflow/tfjs-backend-wasm', available: ['wasm', 'cpu'], notes: [] };

describe('formatBanner', () => {
  test('names the command, recipe, backend, seed and run folder', () => {
    const b = formatBanner({ command: 'train', recipe: 'cct', backend: wasm, seed: 3, runDir: 'runs/x' });
    expect(b).toMatch(/^lel .* · train cct\n/);
    expect(b).toMatch(/\n {2}backend {2}wasm \(@tensorflow\/tfjs-backend-wasm, tfjs-core 4\.22\.0\)\n/);
    expect(b).toMatch(/\n {2}seed {5}3\n/);
    expect(b).toMatch(/\n {2}run {6}runs\/x$/);
  });

  test('on webgpu the backend line names the adapter, and says when it is a software one', () => {
    const adapter = { vendor: 'mesa', architecture: '', device: '', description: 'llvmpipe (LLVM 19.1.7, 256 bits)', software: true, maxStorageBufferBindingSize: 134217728 };
    const b = formatBanner({ command: 'train', backend: { ...wasm, name: 'webgpu', tfName: 'webgpu', packageName: '@tensorflow/tfjs-backend-webgpu', adapter } });
    expect(b).toContain('backend  webgpu (@tensorflow/tfjs-backend-webgpu, tfjs-core 4.22.0) on llvmpipe (LLVM 19.1.7, 256 bits) (mesa; software adapter: runs on the CPU)');
  });
});
