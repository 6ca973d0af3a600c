import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { TINY_SETS, tempDir } from '../testing';
import { trainCommand } from '../train';
import { loadSegmenterFromRun } from './kd';
import { buildSegNet, NormalisedEncoder, SegInit, SegModel } from './segmentation';
import { makeDigitScenes } from '@lel/datasets/node';

const quiet = () => {};

describe('segmentation networks rebuilt from a run', () => {
  it('kd-family students train without the final ReLU by default (model.decoderFinalRelu) and are rebuilt as trained', async () => {
    for (const relu of [false, true]) {
      const out = path.join(tempDir(`student-relu-${relu}`), 'run');
      await trainCommand('student', { set: [...TINY_SETS.student!, ...(relu ? ['model.decoderFinalRelu=true'] : [])], out, progress: 'none', log: quiet, backend: 'wasm' });
      const net = await loadSegmenterFromRun(out);
      try {
        expect(net.mainDecoder.finalRelu).toBe(relu);
      } finally {
        net.dispose();
      }
    }
  });

  it('loadSegmenterFromRun (kd teacher.run) keeps the run decoder: no final ReLU when the cct run trained without it', async () => {
    const out = path.join(tempDir('teacher-relu'), 'run');
    await trainCommand('cct-supervised', { set: TINY_SETS['cct-supervised']!, out, progress: 'none', log: quiet, backend: 'wasm' });
    const net = await loadSegmenterFromRun(out);
    const scenes = makeDigitScenes({ n: 4, size: 32, seed: 0, variant: 'easy', channels: 3, split: 'test' });
    const images = tf.tensor4d(scenes.images, [scenes.n, 32, 32, 3]);
    try {
      // The cct recipes train with decoderFinalRelu: false; a teacher rebuilt with the official final ReLU would clip
      // every negative logit to 0 (and teach different targets than the run's own evaluation measured).
      expect(net.mainDecoder.finalRelu).toBe(false);
      const min = tf.tidy(() => tf.min(net.forward(images)).dataSync()[0]!);
      expect(min).toBeLessThan(0);
    } finally {
      net.dispose();
      images.dispose();
    }
  });

  it('an arseg-initialised network normalises the AR features (BatchNorm → ReLU) and loads the encoder weights', async () => {
    const ar = path.join(tempDir('arseg-init'), 'run');
    await trainCommand('arseg', { set: TINY_SETS.arseg!, out: ar, progress: 'none', log: quiet, backend: 'wasm' });
    const net = await buildSegNet(SegModel.parse({}), SegInit.parse({ encoder: ar }), { mode: 'supervised', decoderFinalRelu: false }, 0);
    const raw = await buildSegNet(SegModel.parse({}), SegInit.parse({ encoder: ar, featureNorm: false }), { mode: 'supervised', decoderFinalRelu: false }, 0);
    try {
      expect(net.encoder).toBeInstanceOf(NormalisedEncoder);
      expect(net.config.upscale).toBe(2);
      const names = [...net.stateDict().keys()];
      expect(names).toContain('encoder.norm.weight');
      // The AR encoder's own tensors, under encoder.features.*, equal the raw (un-normalised) network's encoder.*.
      const rawSd = raw.stateDict();
      const sd = net.stateDict();
      for (const [k, t] of rawSd) {
        if (!k.startsWith('encoder.')) continue;
        const mine = sd.get(k.replace(/^encoder\./, 'encoder.features.'));
        expect(mine, k).toBeDefined();
        expect(Array.from(mine!.dataSync()), k).toEqual(Array.from(t.dataSync()));
      }
    } finally {
      net.dispose();
      raw.dispose();
    }
  });
});
