import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { toTensorMap, type Module } from '@lel/core';
import { readSafetensorsFile } from '@lel/core/node';
import type { CctModel } from '@lel/cct';
import { parseBackend, setupBackend } from '../backend';
import { tempDir } from '../testing';
import { bestWeightsFile } from '../weights';
import { kdRecipe } from './kd';
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
      // The teacher's evaluation on the validation scenes (teacher_miou) must not have moved its statistics.
      for (const [k, t] of stats) expect(Array.from(await t.data()), k).toEqual(Array.from(await saved.get(k)!.data()));
    } finally {
      tf.dispose([...saved.values()]);
      for (const m of prep.models as Module[]) m.dispose();
      prep.dispose();
    }
  });
});
