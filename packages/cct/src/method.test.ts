import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { Rng, runMethod } from '@lel/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { describeMethodMatrix } from '@lel/core/testing';
import type { MethodCase, MethodRunCase } from '@lel/core/testing';
import type { SegmentationBatch, SegmentationSet, StreamingSet } from './data';
import { parseCctConfig } from './config';
import { SmallConvEncoder } from './encoder';
import { cctLoss } from './loss';
import { cct, type CctData } from './method';
import { CctModel } from './model';

// The shared method matrix on a tiny CCT: the loss draws its perturbations from a generator created per call,
// so every call is reproducible (the matrix compares losses across instances and calls).
function row(name: string, perturbations: Record<string, number>, freezeEncoder: boolean): MethodCase {
  return {
    name,
    setup: (seed) => {
      const rng = new Rng(seed);
      const model = new CctModel(new SmallConvEncoder({ widths: [4, 8], outputStride: 2 }), {
        numClasses: 3,
        perturbations,
      }, rng);
      if (freezeEncoder) model.freeze(/^encoder\./);
      const xl = rng.uniformTensor([2, 8, 8, 3]) as tf.Tensor4D;
      const xu = rng.uniformTensor([2, 8, 8, 3]) as tf.Tensor4D;
      const labels = tf.tensor3d(Array.from({ length: 128 }, (_, i) => (i % 7 === 0 ? 255 : i % 3)), [2, 8, 8], 'int32');
      return {
        model,
        loss: () => {
          const un = model.forwardUnsupervised(xu, new Rng(seed + 17));
          const parts = cctLoss({ supLogits: model.forward(xl), labels, unsupMainLogits: un.mainLogits, auxLogits: un.auxLogits, weightU: 1 });
          return parts.total;
        },
        dispose: () => tf.dispose([xl, xu, labels]),
      };
    },
  };
}

/** Tiny image sets whose images are their one-hot labels plus noise. */
function toySet(n: number, seed: number): SegmentationSet {
  const rng = new Rng(seed);
  return tf.tidy(() => {
    const labels = tf.tensor3d(Array.from({ length: n * 64 }, () => rng.int(3)), [n, 8, 8], 'int32');
    return { images: tf.add(tf.cast(tf.oneHot(labels, 3), 'float32'), rng.uniformTensor([n, 8, 8, 3], 0, 0.1)) as tf.Tensor4D, labels };
  });
}

/** The whole method through runMethod: semi (every loss part, two streams, perturbation noise) or supervised. */
function runRow(mode: 'semi' | 'supervised', freezeEncoder: boolean): MethodRunCase<CctData> {
  const config = {
    numClasses: 3,
    mode,
    upscale: 2,
    perturbations: { vat: 1, dropout: 1, cutout: 0, contextMasking: 0, objectMasking: 0, featureDrop: 1, featureNoise: 1 },
    train: { epochs: 4, labelledBatchSize: 2, unlabelledBatchSize: 2, valEvery: 1, earlyStop: 0, seed: 3, weakLabels: false },
  };
  return {
    name: `cct ${mode}${freezeEncoder ? ' (frozen encoder)' : ''} through runMethod`,
    method: cct,
    config,
    data: () => {
      const rng = new Rng(5);
      const model = new CctModel(new SmallConvEncoder({ widths: [4, 6], outputStride: 2, rng }), config, rng);
      if (freezeEncoder) model.freeze(/^encoder\./);
      return { model, labelled: toySet(3, 1), ...(mode === 'semi' ? { unlabelled: toySet(4, 2) } : {}), val: toySet(2, 3) };
    },
    dispose: (d) => tf.dispose(([d.labelled, d.unlabelled, d.val] as (SegmentationSet | undefined)[]).flatMap((s) => (s ? [s.images, s.labels] : []))),
    steps: 4,
    resumeAt: 3,
  };
}

describeMethodMatrix([
  runRow('semi', false),
  runRow('supervised', true),
  row('cct (noise, drop, dropout, cutout, masking)', { vat: 0, dropout: 1, cutout: 1, contextMasking: 1, objectMasking: 1, featureDrop: 1, featureNoise: 1 }, false),
  row('cct (frozen encoder)', { vat: 0, dropout: 1, cutout: 0, contextMasking: 0, objectMasking: 0, featureDrop: 1, featureNoise: 1 }, true),
]);

/** A set served as a `StreamingSet` (what a folder on disk is): batches gathered on demand from the tensors. */
function streamingOf(set: SegmentationSet, withLabels: boolean): StreamingSet<SegmentationBatch> {
  return {
    size: set.images.shape[0],
    async *batches(indexBatches) {
      for (const idx of indexBatches) {
        const i = tf.tensor1d([...idx], 'int32');
        const images = tf.gather(set.images, i);
        const labels = withLabels ? tf.gather(set.labels, i) : undefined;
        i.dispose();
        yield (labels ? { images, labels } : { images }) as SegmentationBatch;
      }
    },
  };
}

describe('cct on streaming sets', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('trains from streams (labelled with masks, unlabelled without) reproducibly, with every loss part finite', async () => {
    const config = {
      numClasses: 3,
      upscale: 2,
      perturbations: { vat: 0, dropout: 1, cutout: 0, contextMasking: 0, objectMasking: 0, featureDrop: 1, featureNoise: 1 },
      train: { epochs: 2, labelledBatchSize: 2, unlabelledBatchSize: 2, valEvery: 1, earlyStop: 0, seed: 5, weakLabels: false },
    };
    const labelled = toySet(3, 1);
    const unlabelled = toySet(4, 2);
    // The streams own their order generator (forked from the epoch's), so a streamed run is compared with itself.
    const train = async () => {
      const rng = new Rng(9);
      const model = new CctModel(new SmallConvEncoder({ widths: [4, 6], outputStride: 2, rng }), parseCctConfig(config), rng);
      const before = await Promise.all([...model.stateDict().values()].map(async (t) => Array.from(await t.data())));
      const logs: Record<string, number>[] = [];
      const r = await runMethod(cct, config, { model, labelled: streamingOf(labelled, true), unlabelled: streamingOf(unlabelled, false) }, { progress: 'none', callbacks: [{ onStepEnd: (_c: unknown, m: Record<string, number>) => void logs.push({ ...m }) }] });
      const weights = await Promise.all([...r.model.stateDict().values()].map(async (t) => Array.from(await t.data())));
      r.model.dispose();
      return { logs, before, weights, steps: r.result.steps };
    };
    try {
      const a = await train();
      const b = await train();
      // 2 epochs × ceil(4 unlabelled / 2) iterations.
      expect(a.steps).toBe(4);
      expect(a.logs).toHaveLength(4);
      for (const m of a.logs) for (const k of ['sup', 'unsup']) expect(Number.isFinite(m[k]), `${k}=${m[k]}`).toBe(true);
      expect(a.weights).not.toEqual(a.before);
      expect(b.logs).toEqual(a.logs);
      expect(b.weights).toEqual(a.weights);
    } finally {
      tf.dispose([labelled.images, labelled.labels, unlabelled.images, unlabelled.labels]);
    }
  });

  it('a supervised run on a streamed set follows the in-memory run step for step (same losses, same weights)', async () => {
    const config = { numClasses: 3, upscale: 2, mode: 'supervised' as const, train: { epochs: 2, labelledBatchSize: 2, unlabelledBatchSize: 2, valEvery: 1, earlyStop: 0, seed: 5, weakLabels: false } };
    const labelled = toySet(5, 1);
    const train = async (data: SegmentationSet | StreamingSet<SegmentationBatch>) => {
      const rng = new Rng(9);
      const model = new CctModel(new SmallConvEncoder({ widths: [4, 6], outputStride: 2, rng }), parseCctConfig(config), rng);
      const logs: Record<string, number>[] = [];
      const r = await runMethod(cct, config, { model, labelled: data }, { progress: 'none', callbacks: [{ onStepEnd: (_c: unknown, m: Record<string, number>) => void logs.push({ ...m }) }] });
      const weights = await Promise.all([...r.model.stateDict().values()].map(async (t) => Array.from(await t.data())));
      r.model.dispose();
      return { logs, weights, steps: r.result.steps };
    };
    try {
      const memory = await train(labelled);
      const streamed = await train(streamingOf(labelled, true));
      expect(streamed.steps).toBe(6);
      expect(streamed.logs).toEqual(memory.logs);
      expect(streamed.weights).toEqual(memory.weights);
    } finally {
      tf.dispose([labelled.images, labelled.labels]);
    }
  });

  it('refuses an empty labelled stream and a semi run without unlabelled images', async () => {
    const config = { numClasses: 3, upscale: 2, train: { epochs: 1, labelledBatchSize: 2, unlabelledBatchSize: 2, valEvery: 1, earlyStop: 0, seed: 5, weakLabels: false } };
    const labelled = toySet(2, 1);
    const model = () => new CctModel(new SmallConvEncoder({ widths: [4, 6], outputStride: 2, rng: new Rng(1) }), parseCctConfig(config), new Rng(2));
    try {
      const m1 = model();
      await expect(runMethod(cct, config, { model: m1, labelled: { size: 0, batches: async function* () {} }, unlabelled: streamingOf(labelled, false) }, { progress: 'none' })).rejects.toThrow(/labelled set is empty/);
      const m2 = model();
      await expect(runMethod(cct, config, { model: m2, labelled: streamingOf(labelled, true), unlabelled: { size: 0, batches: async function* () {} } }, { progress: 'none' })).rejects.toThrow(/non-empty unlabelled set/);
      m1.dispose();
      m2.dispose();
    } finally {
      tf.dispose([labelled.images, labelled.labels]);
    }
  });
});
