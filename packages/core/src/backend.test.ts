import * as tf from '@tensorflow/tfjs-core';
import { afterEach, describe, expect, test } from 'vitest';
import { initBackend, installedBackends } from './backend';

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
    expect(info.name).toBe(info.available[0]);
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
    await expect(initBackend({ backend: 'webgl' as never, log: null })).rejects.toThrow(/unknown backend "webgl".*auto, tensorflow-gpu, tensorflow, wasm, cpu/);
  });
});
