import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { toTensorMap, type Module } from '@lel/core';
import { readSafetensorsFile } from '@lel/core/node';
import type { CctModel } from '@lel/cct';
import { parseBackend, setupBackend } from '../backend';
import { tempDir } from '../testing';
import { bestWeightsFile } from '../weights';
import { kdRecipe, transferBatches } from './kd';
import { Rng } from '@lel/core';
import { UNLABELLED } from '@lel/distill';
import { SegModel, buildSegmenter, disposeSegSets, evaluateSegmenter, segEvalResult, segmentationSets } from './segmentation';
import type { PreparedRun } from './types';

describe('kd: the teacher trained inside the run', () => {
  it('is scored and distilled in eval mode (BatchNorm running statistics are the training ones) and has no final ReLU', async () => {
    await setupBackend(parseBackend('wasm'), 0);
    const runDir = tempDir('kd-teacher');
    const config = kdRecipe.schema.parse({ data: { scenes: 16, valScenes: 4 }, teacher: { steps: 2 }, train: { maxSteps: 3 } });
    const prep = (await kdRecipe.prepare(config, { runDir, progress: 'none', callbacks: [], log: () => {} })) as PreparedRun;
    const teacher = prep.models![1] as CctModel;
    const saved = toTensorMap(await readSafetensorsFile(bestWeightsFile(`${runDir}/teacher`)));
    try {
      expect(teacher.training).toBe(false);
      expect(teacher.mainDecoder.finalRelu).toBe(false);
      const stats = [...teacher.stateDict()].filter(([k]) => /running_(mean|var)$/.test(k));
      expect(stats.length).toBeGreaterThan(0);
      // An epoch is a pass over the unlabelled scenes (transfer set, 8 per step): 14 of the 16 scenes.
      expect((prep.data as { stepsPerEpoch: number }).stepsPerEpoch).toBe(2);
      // The teacher's evaluation on the validation scenes (teacher_miou) must not have moved its statistics.
      for (const [k, t] of stats) expect(Array.from(await t.data()), k).toEqual(Array.from(await saved.get(k)!.data()));
    } finally {
      tf.dispose([...saved.values()]);
      for (const m of prep.models as Module[]) m.dispose();
      prep.dispose();
    }
  });
});

describe('kd: the transfer set', () => {
  it('an epoch passes once over the unlabelled scenes (rows UNLABELLED), each batch with labelled scenes, none flipped', async () => {
    await setupBackend(parseBackend('wasm'), 0);
    const sets = segmentationSets({ scenes: 16, valScenes: 1, testScenes: 1, size: 32, variant: 'easy', labelledFraction: 0.125, seed: 0 });
    const nl = sets.labelled.images.shape[0];
    const nu = sets.unlabelled.images.shape[0];
    const rows = async (t: tf.Tensor) => {
      const [n, ...rest] = t.shape;
      const d = Array.from(await t.data());
      const size = rest.reduce((a, b) => a * b, 1);
      return Array.from({ length: n! }, (_, i) => d.slice(i * size, (i + 1) * size).join(','));
    };
    const labelledScenes = new Set(await rows(sets.labelled.images));
    const unlabelledScenes = await rows(sets.unlabelled.images);
    const seen: string[] = [];
    try {
      expect(nl).toBe(2);
      let batches = 0;
      for (const b of transferBatches(sets, 2, 4, new Rng('kd-transfer-test'))) {
        batches++;
        const imgs = await rows(b.images);
        const labels = await rows(b.labels);
        // Labelled rows first, exactly as stored (a horizontal flip would mirror them).
        for (const img of imgs.slice(0, 2)) expect(labelledScenes.has(img)).toBe(true);
        for (const lab of labels.slice(0, 2)) expect(lab.split(',').every((v) => Number(v) >= 0)).toBe(true);
        for (const lab of labels.slice(2)) expect(lab.split(',').every((v) => Number(v) === UNLABELLED)).toBe(true);
        seen.push(...imgs.slice(2));
        tf.dispose([b.images, b.labels]);
      }
      expect(batches).toBe(Math.ceil(nu / 4));
      expect(seen.sort()).toEqual([...unlabelledScenes].sort());
    } finally {
      disposeSegSets(sets);
    }
  });
});

describe('kd: selection and report splits', () => {
  it('the validation scenes choose the checkpoint, other test scenes are reported', async () => {
    await setupBackend(parseBackend('wasm'), 0);
    const sets = segmentationSets({ scenes: 8, valScenes: 4, testScenes: 4, size: 32, variant: 'easy', labelledFraction: 0.25, seed: 0 });
    const net = buildSegmenter(SegModel.parse({ widths: [4] }), { mode: 'supervised' }, 0);
    try {
      expect(Array.from(await sets.test.images.data())).not.toEqual(Array.from(await sets.val.images.data()));
      net.eval();
      const reported = segEvalResult(net, sets, tempDir('kd-report')).confusion;
      expect(reported).toEqual(evaluateSegmenter(net, sets.test, sets.numClasses).cm.matrix.map((row) => [...row]));
      expect(reported).not.toEqual(evaluateSegmenter(net, sets.val, sets.numClasses).cm.matrix.map((row) => [...row]));
    } finally {
      net.dispose();
      disposeSegSets(sets);
    }
  });
});
