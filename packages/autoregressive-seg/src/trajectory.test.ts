import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { defineMethod, runMethod, type Callback } from '@lel/core';
import { describeTrajectory, type SuiteFixture } from '@lel/core/testing';
import type { ArSegConfigInput } from './config';
import { arSeg, type ArSegData } from './train';

/**
 * LEL's `arSeg` method (mode 'ac', through `runMethod`) against `reference/vision/trajectory_arseg.py` (float64 PyTorch): same initial
 * weights, batches and orderings (lel_rng mirrors the loop's generators), 50 Adam steps.
 */
async function runFixture(f: SuiteFixture<{ config: ArSegConfigInput }>, maxSteps: number) {
  const config = { ...f.doc.config, steps: maxSteps };
  // The arSeg method with the reference's initial weights loaded into the network it builds.
  const init = f.group('init');
  const fromInit = defineMethod({
    ...arSeg,
    async build(c, data: ArSegData) {
      const parts = await arSeg.build(c, data);
      parts.model!.loadStateDict(init);
      return parts;
    },
  });
  const images = f.tensors.get('data.images')!;
  const [n, h, w, c] = images.shape as [number, number, number, number];
  const steps: Record<string, number>[] = [];
  const recorder: Callback = { onStepEnd: (_ctx, m) => void steps.push({ total: m.loss!, mi: m.mi! }) };
  const { model } = await runMethod(fromInit, config, { images: { images: (await images.data()) as Float32Array, n, height: h, width: w, channels: c } }, { progress: 'none', callbacks: [recorder] });
  try {
    return { steps, state: new Map([...model.stateDict()].map(([k, v]) => [k, tf.clone(v)])) };
  } finally {
    model.dispose();
  }
}

describeTrajectory('autoregressive-seg AC', new URL('./fixtures/trajectory/arseg-ac.json', import.meta.url), runFixture, { parts: ['total', 'mi'], steps: { cpu: 12 } });
