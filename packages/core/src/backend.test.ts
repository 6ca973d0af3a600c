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
    await expect(initBackend({ backend: 'webgl' as never, log: null })).rejects.toThrow(/unknown backend "webgl".*auto, tensorflow-gpu, webgpu, tensorflow, wasm, cpu/);
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
