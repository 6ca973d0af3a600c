import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { Rng, useBackend } from '@lel/core';
import { writeSafetensorsFile } from '@lel/core/node';
import { CctModel } from '@lel/cct';
import { afterAll, describe, expect, test } from 'vitest';
import { loadArEncoder, saveArEncoder } from './export';
import { ArSegModel } from './model';

const dir = mkdtempSync(join(tmpdir(), 'arseg-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('encoder export (pretraining for @lel/cct)', () => {
  test('the saved encoder reloads bit-identically and starts a CctModel whose encoder weights are the pretrained ones', async () => {
    await useBackend('cpu');
    const rng = new Rng(0);
    const model = new ArSegModel({ inChannels: 3, numClusters: 2, stemChannels: 4, numBlocks: 2, stemStride: 2, attention: true }, rng);
    const path = join(dir, 'enc.safetensors');
    await saveArEncoder(model, path);
    const enc = await loadArEncoder(path);
    expect(enc.outputStride).toBe(4);
    expect(enc.outChannels).toBe(16);
    const x = rng.uniformTensor([2, 16, 16, 3]);
    model.eval();
    enc.eval();
    const a = model.encoder.forward(x);
    const b = enc.forward(x);
    expect(Array.from(b.dataSync())).toEqual(Array.from(a.dataSync()));

    // @lel/cct takes any encoder with outChannels + forward(x); its names gain the prefix "encoder.".
    const cct = new CctModel(enc, { numClasses: 3, mode: 'supervised', upscale: enc.outputStride });
    const names = cct.namedParameters().map(([n]) => n);
    expect(names).toContain('encoder.blocks.0.conv1.weight');
    expect(names).toContain('encoder.attention.q.weight');
    const sd = cct.stateDict();
    for (const [n, t] of model.encoder.stateDict()) expect(Array.from(sd.get(`encoder.${n}`)!.dataSync()), n).toEqual(Array.from(t.dataSync()));
    cct.eval();
    const logits = cct.forward(x as tf.Tensor4D);
    expect(logits.shape).toEqual([2, 16, 16, 3]);
    tf.dispose([x, a, b, logits]);
    cct.dispose();
    model.dispose();
  });

  test('files that are not exported encoders are rejected', async () => {
    await useBackend('cpu');
    const path = join(dir, 'other.safetensors');
    const t = tf.zeros([2]);
    await writeSafetensorsFile(path, new Map([['w', t]]), { format: 'something-else' });
    t.dispose();
    await expect(loadArEncoder(path)).rejects.toThrow(/not an exported AR encoder/);
  });
});
