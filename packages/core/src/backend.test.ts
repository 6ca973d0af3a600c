import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, test } from 'vitest';
import { initBackend, installedBackends } from './backend';
import { webgpuSkipReason } from './testing/backends';

describe('initBackend', () => {
  const saved = process.env.LEL_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.LEL_BACKEND;
    else process.env.LEL_BACKEND = saved;
  });

  test('auto picks the fastest installed backend (wasm here: tfjs-node cannot install) and says so', async () => {
    delete process.env.LEL_BACKEND;
    const lines: string[] = [];
    const info = await initBackend({ log: (l) => lines.push(l) });
    expect(info.available).toEqual(await installedBackends());
    // A software-only WebGPU adapter is listed as available but skipped (with a note).
    const softwareWebGPU = info.notes.some((n) => n.startsWith('webgpu skipped'));
    expect(info.name).toBe(info.available.filter((n) => !(softwareWebGPU && n === 'webgpu'))[0]);
    expect(tf.getBackend()).toBe(info.tfName);
    expect(lines[0]).toMatch(new RegExp(`backend: ${info.name} \\(`));
  });

  test('LEL_BACKEND and the argument force one backend', async () => {
    process.env.LEL_BACKEND = 'cpu';
    expect((await initBackend({ log: null })).name).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect((await initBackend({ backend: 'wasm', log: null })).name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  test('forcing an absent or unknown backend names what to install or what is allowed', async () => {
    await expect(initBackend({ backend: 'tensorflow', log: null })).rejects.toThrow(/install @tensorflow\/tfjs-node/);
    await expect(initBackend({ backend: 'metal' as never, log: null })).rejects.toThrow(/unknown backend "metal".*auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu/);
    await expect(initBackend({ backend: 'webgl', log: null })).rejects.toThrow(/backend "webgl" does not run in Node; expected one of auto, tensorflow-gpu/);
  });
});

describe('initBackend in a web page', () => {
  test('tries webgpu, webgl, wasm, cpu through the given loaders only, and logs with console.info', async () => {
    const calls: string[] = [];
    const lines: string[] = [];
    const info = await initBackend({
      environment: 'page',
      log: (l) => lines.push(l),
      loaders: {
        // No WebGPU adapter in Node's test run without Dawn: a loader that fails stands for a browser without it.
        webgpu: async () => {
          calls.push('webgpu');
          throw new Error('no navigator.gpu');
        },
        // webgl is not installed here: its loader fails as a missing chunk would.
        webgl: async () => {
          calls.push('webgl');
          throw new Error('no WebGL context');
        },
        wasm: async () => {
          calls.push('wasm');
          return import('@tensorflow/tfjs-backend-wasm');
        },
      },
    });
    expect(info.name).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
    // webgpu: navigator.gpu is probed before its loader (none here); wasm's loader runs unless an earlier test loaded it.
    expect(calls[0]).toBe('webgl');
    expect(calls.slice(1).every((c) => c === 'wasm')).toBe(true);
    // cpu: registered by the test setup's import, no loader needed; webgpu: here only Dawn on lavapipe (loaded by an
    // earlier test), a software adapter that auto skips with a note.
    expect(info.available.filter((n) => n !== 'webgpu')).toEqual(['wasm', 'cpu']);
    if (info.available.includes('webgpu')) expect(info.notes.join(' ')).toMatch(/webgpu skipped: .*backend: 'webgpu'.* forces it/);
    expect(lines[0]).toMatch(/backend: wasm \(@tensorflow\/tfjs-backend-wasm/);
  });

  test('a forced backend without a loader names the package and the loader to pass; node-only backends are refused', async () => {
    await expect(initBackend({ environment: 'page', backend: 'webgl', log: null })).rejects.toThrow(
      /backend "webgl" is not available; install @tensorflow\/tfjs-backend-webgl .* initBackend\(\{ loaders: \{ webgl: \(\) => import\('@tensorflow\/tfjs-backend-webgl'\) \} \}\)/,
    );
    await expect(initBackend({ environment: 'page', backend: 'tensorflow', log: null })).rejects.toThrow(/"tensorflow" does not run in a web page; expected one of auto, webgpu, webgl, wasm, cpu/);
  });

  test('wasmPaths reaches tfjs-backend-wasm before the backend starts', async () => {
    const paths: unknown[] = [];
    const wasm = await import('@tensorflow/tfjs-backend-wasm');
    await initBackend({
      environment: 'page',
      backend: 'wasm',
      log: null,
      wasmPaths: { 'tfjs-backend-wasm.wasm': '/a.wasm' },
      loaders: { wasm: async () => ({ ...wasm, setWasmPaths: (p: unknown) => paths.push(p) }) },
    });
    expect(paths).toEqual([{ 'tfjs-backend-wasm.wasm': '/a.wasm' }]);
  });

  test('LEL_BACKEND=webgpu runs on the adapter and the banner names it; auto uses only a hardware adapter', async (t) => {
    const reason = await webgpuSkipReason();
    if (reason) t.skip(`webgpu: ${reason}`);
    const lines: string[] = [];
    process.env.LEL_BACKEND = 'webgpu';
    const info = await initBackend({ log: (l) => lines.push(l) });
    expect(info.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.adapter?.description || info.adapter?.device).toBeTruthy();
    expect(lines[0]).toContain(`backend: webgpu (@tensorflow/tfjs-backend-webgpu, tfjs-core ${tf.version_core}) on ${info.adapter!.description}`);
    delete process.env.LEL_BACKEND;
    const auto = await initBackend({ log: null });
    if (info.adapter!.software) {
      expect(auto.name).not.toBe('webgpu');
      expect(auto.available).toContain('webgpu');
      expect(auto.notes.join(' ')).toMatch(/webgpu skipped: its only adapter is .*software.*LEL_BACKEND=webgpu forces it/);
    } else {
      expect(auto.name).toBe(auto.available.includes('tensorflow-gpu') ? 'tensorflow-gpu' : 'webgpu');
    }
  });
});
