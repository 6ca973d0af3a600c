import '@tensorflow/tfjs-backend-cpu';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, useBackend } from '@lel/core';
import { expectNoLeaks } from '@lel/core/testing';
import { beforeAll, describe, expect, test } from 'vitest';
import { SmallConvEncoder } from './encoder';
import { CamClassifier, camsForImages, camsToPseudoLabels, crfRefineLabels, imageLevelLabels } from './weak-labels';

beforeAll(async () => {
  await useBackend('cpu');
});

describe('weak labels', () => {
  test('image-level labels: present foreground classes, 0 and 255 ignored', () => {
    const m = tf.tensor3d([0, 2, 255, 0, 1, 1, 0, 0], [2, 2, 2], 'int32');
    const y = imageLevelLabels(m, 4);
    expect(y.arraySync()).toEqual([
      [0, 1, 0],
      [1, 0, 0],
    ]);
    tf.dispose([m, y]);
  });

  test('pseudo-labels: confident fg keeps its class, confident bg is 0, the rest 255 (official rule)', async () => {
    // One image 1×4, two fg classes. CAM values per pixel: strong c1, weak c2 (between 0.05 and 0.30), none, strong c2.
    const cams = tf.tensor4d([0.9, 0, 0, 0.2, 0, 0.01, 0, 0.8], [1, 1, 4, 2]);
    const labels = await camsToPseudoLabels(cams, null, { crf: false });
    expect(Array.from(labels.dataSync())).toEqual([1, 255, 0, 2]);
    tf.dispose([cams, labels]);
  });

  test('CRF refinement removes an isolated wrong pixel inside a uniform region and keeps a colour edge', () => {
    const H = 6;
    const W = 6;
    const img = new Float32Array(H * W * 3);
    const lab = new Int32Array(H * W);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const right = x >= 3;
        img.fill(right ? 1 : 0, (y * W + x) * 3, (y * W + x) * 3 + 3);
        lab[y * W + x] = right ? 1 : 0;
      }
    lab[2 * W + 1] = 1; // noise in the dark (class-0) half
    const out = crfRefineLabels(lab, img, H, W, 2, { radius: 3 });
    expect(out[2 * W + 1]).toBe(0);
    for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) expect(out[y * W + x]).toBe(x >= 3 ? 1 : 0);
  });

  test('CAMs: shape, in [0, 1], absent classes zero, no leaks', async () => {
    const rng = new Rng(0);
    const clf = new CamClassifier(new SmallConvEncoder({ widths: [4, 4, 6], rng }), 3, rng);
    const x = rng.uniformTensor([2, 16, 16, 3]) as tf.Tensor4D;
    const present = tf.tensor2d([1, 0, 1, 1], [2, 2]);
    await expectNoLeaks(() => {
      const logits = clf.forward(x);
      expect(logits.shape).toEqual([2, 2]);
      const cams = camsForImages(clf, x, present, { scales: [1, 0.5] });
      expect(cams.shape).toEqual([2, 16, 16, 2]);
      const v = cams.arraySync() as number[][][][];
      expect(v[0]!.flat().every((p) => p[1] === 0)).toBe(true);
      expect(Math.max(...v.flat(3))).toBeLessThanOrEqual(1);
      tf.dispose([logits, cams]);
    });
    tf.dispose([x, present]);
    clf.dispose();
  });
});
