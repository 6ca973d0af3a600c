import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { Rng, toTensorMap, type Module } from '@lel/core';
import { readSafetensorsFile } from '@lel/core/node';
import { predictLogits, segmentationSet, type CctModel } from '@lel/cct';
import { UNLABELLED } from '@lel/distill';
import { makeDigitScenes } from '@lel/datasets/node';
import { parseBackend, setupBackend } from '../backend';
import { segmentationConfusion } from '../data/evaluate';
import { SegmentationData } from '../data/sections';
import { streamingPart } from '../data/tensors';
import { tempDir } from '../testing';
import { bestWeightsFile } from '../weights';
import { runDataSection } from './cct';
import { kdRecipe, transferBatches } from './kd';
import { segDataReport, segmentationRunData } from './seg-data';
import { SegModel, buildSegmenter } from './segmentation';
import type { PreparedRun } from './types';

const rowsOf = async (t: tf.Tensor) => {
  const [n, ...rest] = t.shape;
  const d = Array.from(await t.data());
  const size = rest.reduce((a, b) => a * b, 1);
  return Array.from({ length: n! }, (_, i) => d.slice(i * size, (i + 1) * size).join(','));
};

describe('kd: the teacher trained inside the run', () => {
  it('is scored and distilled in eval mode (BatchNorm running statistics are the training ones) and has no final ReLU', async () => {
    await setupBackend(parseBackend('wasm'), 0);
    const runDir = tempDir('kd-teacher');
    // 20 scenes: 4 carved off as the test part, 2 of the other 16 labelled (1/8), 14 unlabelled (the transfer set).
    const config = kdRecipe.schema.parse({ data: { labelled: { source: 'digit-scenes', n: 20, heldOut: 4, fraction: 0.125 } }, teacher: { steps: 2 }, train: { maxSteps: 3 } });
    const prep = (await kdRecipe.prepare(config, { runDir, progress: 'none', callbacks: [], log: () => {} })) as PreparedRun;
    const teacher = prep.models![1] as CctModel;
    const saved = toTensorMap(await readSafetensorsFile(bestWeightsFile(`${runDir}/teacher`)));
    try {
      expect(teacher.training).toBe(false);
      expect(teacher.mainDecoder.finalRelu).toBe(false);
      const stats = [...teacher.stateDict()].filter(([k]) => /running_(mean|var)$/.test(k));
      expect(stats.length).toBeGreaterThan(0);
      // An epoch is a pass over the unlabelled scenes (transfer set, 8 per step): 14 scenes.
      expect((prep.data as { stepsPerEpoch: number }).stepsPerEpoch).toBe(2);
      // The teacher's evaluation on the dev scenes (teacher_miou) must not have moved its statistics.
      for (const [k, t] of stats) expect(Array.from(await t.data()), k).toEqual(Array.from(await saved.get(k)!.data()));
    } finally {
      tf.dispose([...saved.values()]);
      for (const m of prep.models as Module[]) m.dispose();
      prep.dispose();
    }
  });

  it('without unlabelled images the transfer set is an error naming the keys to set', async () => {
    const config = kdRecipe.schema.parse({ data: { labelled: { source: 'digit-scenes', n: 8, heldOut: 2 } } });
    await expect(kdRecipe.prepare(config, { runDir: tempDir('kd-no-transfer'), progress: 'none', callbacks: [], log: () => {} })).rejects.toThrow(/data\.unlabelled: .*train\.transferBatchSize=0/);
  });
});

describe('kd: the transfer set', () => {
  const scenes = () => makeDigitScenes({ n: 16, size: 32, seed: 0, variant: 'easy', channels: 3, split: 'train' });

  it('an epoch passes once over the unlabelled scenes (rows UNLABELLED), each batch with labelled scenes, none flipped', async () => {
    await setupBackend(parseBackend('wasm'), 0);
    const d = scenes();
    const sets = { labelled: segmentationSet(d, [0, 1]), unlabelled: segmentationSet(d, Array.from({ length: 14 }, (_, i) => i + 2)) };
    const labelledScenes = new Set(await rowsOf(sets.labelled.images));
    const unlabelledScenes = await rowsOf(sets.unlabelled.images);
    const seen: string[] = [];
    try {
      let batches = 0;
      for await (const b of transferBatches(sets, 2, 4, new Rng('kd-transfer-test'))) {
        batches++;
        const imgs = await rowsOf(b.images);
        const labels = await rowsOf(b.labels);
        // Labelled rows first, exactly as stored (a horizontal flip would mirror them).
        for (const img of imgs.slice(0, 2)) expect(labelledScenes.has(img)).toBe(true);
        for (const lab of labels.slice(0, 2)) expect(lab.split(',').every((v) => Number(v) >= 0)).toBe(true);
        for (const lab of labels.slice(2)) expect(lab.split(',').every((v) => Number(v) === UNLABELLED)).toBe(true);
        seen.push(...imgs.slice(2));
        tf.dispose([b.images, b.labels]);
      }
      expect(batches).toBe(Math.ceil(14 / 4));
      expect(seen.sort()).toEqual([...unlabelledScenes].sort());
    } finally {
      tf.dispose([sets.labelled.images, sets.labelled.labels, sets.unlabelled.images, sets.unlabelled.labels]);
    }
  });

  it('streams the parts of a run\'s data from their source: the same scenes as in memory, unlabelled rows without masks', async () => {
    await setupBackend(parseBackend('wasm'), 0);
    const section = SegmentationData.parse({ labelled: { source: 'digit-scenes', n: 16, heldOut: 2, fraction: 0.125 } });
    const data = await segmentationRunData(section, { runDir: tempDir('kd-stream') });
    const parts = { labelled: streamingPart(data, 'labelled') as never, unlabelled: streamingPart(data, 'unlabelled', { withLabels: false }) };
    const seen: string[] = [];
    for await (const b of transferBatches(parts, 2, 4, new Rng('kd-transfer-stream'))) {
      expect(b.images.shape[0]).toBe(2 + Math.min(4, 14 - seen.length));
      const labels = await rowsOf(b.labels);
      for (const lab of labels.slice(0, 2)) expect(lab.split(',').every((v) => Number(v) >= 0)).toBe(true);
      for (const lab of labels.slice(2)) expect(lab.split(',').every((v) => Number(v) === UNLABELLED)).toBe(true);
      seen.push(...(await rowsOf(b.images)).slice(2));
      tf.dispose([b.images, b.labels]);
    }
    // One pass over the 14 unlabelled scenes, each once.
    expect(data.parts.unlabelled!.indices).toHaveLength(14);
    expect(new Set(seen).size).toBe(14);
  });
});

describe('kd: selection and report splits', () => {
  it('the dev scenes choose the checkpoint, the carved-off test scenes are reported', async () => {
    await setupBackend(parseBackend('wasm'), 0);
    const runDir = tempDir('kd-report');
    const config = kdRecipe.schema.parse({ data: { labelled: { source: 'digit-scenes', n: 10, heldOut: 4, fraction: 0.25 } } });
    const data = await segmentationRunData(runDataSection(config.data), { runDir });
    const net = buildSegmenter(SegModel.parse({ widths: [4] }), { mode: 'supervised' }, 0);
    try {
      expect(data.parts.test!.indices).toHaveLength(2);
      net.eval();
      const reported = (await segDataReport(net, data, runDir)).confusion;
      const logits = (x: tf.Tensor4D) => predictLogits(net, x);
      expect(reported).toEqual((await segmentationConfusion(data, 'test', 11, logits)).matrix.map((row) => [...row]));
      expect(reported).not.toEqual((await segmentationConfusion(data, 'dev', 11, logits)).matrix.map((row) => [...row]));
    } finally {
      net.dispose();
    }
  });
});
