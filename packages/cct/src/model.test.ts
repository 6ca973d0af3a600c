import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, globalRng, useBackend } from '@lel/core';
import { expectNoLeaks, gradCheck, testBackends } from '@lel/core/testing';
import { describe, expect, test } from 'vitest';
import { parseCctConfig, totalAuxDecoders } from './config';
import { unsupervisedLoss } from './consistency';
import { SmallConvEncoder } from './encoder';
import { segmentationCrossEntropy } from './cross-entropy';
import { cctLoss } from './loss';
import { CctDecoder as SegmentationDecoder } from '@lel/models';
import { CctModel } from './model';
import { SegEncoder } from '@lel/models';

const ONE_EACH = { vat: 1, dropout: 1, cutout: 1, contextMasking: 1, objectMasking: 1, featureDrop: 1, featureNoise: 1 };

function tinyModel(seed = 0, mode: 'semi' | 'supervised' = 'semi') {
  const rng = new Rng(seed);
  const encoder = new SmallConvEncoder({ widths: [4, 6, 8], rng });
  return new CctModel(encoder, { numClasses: 3, mode, perturbations: ONE_EACH, vat: { xi: 0.1, eps: 2, iterations: 1 }, cutout: { erase: 0.4, minPixels: 2 } }, rng);
}

/** Gradients by hierarchical name, absent names had no gradient path. */
function namedGrads(model: CctModel, loss: () => tf.Scalar): Map<string, number> {
  const params = model.trainableParameters();
  const byVar = new Map(params.map(([n, p]) => [p.variable.name, n]));
  const { value, grads } = tf.variableGrads(loss, params.map(([, p]) => p.variable));
  const out = new Map<string, number>();
  for (const [v, g] of Object.entries(grads)) {
    out.set(byVar.get(v)!, tf.tidy(() => tf.sum(tf.abs(g)).dataSync()[0]!));
    g.dispose();
  }
  value.dispose();
  return out;
}

describe('config', () => {
  test('official defaults: 30 auxiliary decoders with the official counts', () => {
    const c = parseCctConfig({ numClasses: 21 });
    expect(totalAuxDecoders(c)).toBe(30);
    expect(c.perturbations).toEqual({ vat: 2, dropout: 6, cutout: 6, contextMasking: 2, objectMasking: 2, featureDrop: 6, featureNoise: 6 });
    expect(c.vat).toEqual({ xi: 1e-6, eps: 2, iterations: 1 });
    expect(c.loss.unsupWeight).toBe(30);
    expect(c.optim.lr).toBe(1e-2);
  });
  test('an unknown perturbation is a clear error', () => {
    expect(() => parseCctConfig({ numClasses: 3, perturbations: { gaussian: 2 } as never })).toThrow(/perturbations: unknown key "gaussian" \(unknown perturbation; expected one of vat, dropout/);
  });
  test('missing or bad class count, semi without decoders', () => {
    expect(() => parseCctConfig({} as never)).toThrow(/numClasses/);
    expect(() => parseCctConfig({ numClasses: 1 })).toThrow(/numClasses/);
    const zero = Object.fromEntries(Object.keys(ONE_EACH).map((k) => [k, 0]));
    expect(() => parseCctConfig({ numClasses: 3, perturbations: zero as never })).toThrow(/at least one auxiliary decoder/);
  });
});

describe('SegmentationDecoder final ReLU', () => {
  test('official: logits >= 0; decoderFinalRelu false: the same pre-activations without the clamp, with gradient where they are negative', async () => {
    await useBackend('cpu');
    const z = new Rng(2).normalTensor([2, 4, 4, 8]) as tf.Tensor4D;
    const official = new SegmentationDecoder(8, 5, 4, new Rng(7));
    const noRelu = new SegmentationDecoder(8, 5, 4, new Rng(7), false);
    const [a, b] = [official.forward(z), noRelu.forward(z)];
    expect(a.shape).toEqual([2, 16, 16, 5]);
    expect(tf.min(a).dataSync()[0]).toBeGreaterThanOrEqual(0);
    expect(tf.min(b).dataSync()[0]).toBeLessThan(0);
    // Same weights (same seed): relu(no-ReLU logits) is the official output.
    expect(tf.max(tf.abs(tf.sub(tf.relu(b), a))).dataSync()[0]).toBeLessThan(1e-5);
    // Pushing negative logits up: no gradient through the official final ReLU, a gradient without it.
    const gradMass = (d: SegmentationDecoder) => {
      const g = tf.variableGrads(() => tf.sum(tf.minimum(d.forward(z), 0)) as tf.Scalar, d.trainableParameters().map(([, p]) => p.variable));
      const mass = Object.values(g.grads).reduce((acc, t) => acc + tf.sum(tf.abs(t)).dataSync()[0]!, 0);
      tf.dispose([g.value, ...Object.values(g.grads)]);
      return mass;
    };
    expect(gradMass(official)).toBe(0);
    expect(gradMass(noRelu)).toBeGreaterThan(0);
    tf.dispose([z, a, b]);
    official.dispose();
    noRelu.dispose();
  });
});

describe('SmallConvEncoder outputStride', () => {
  test('keeps the resolution past outputStride with dilated stages; same parameter count; bad strides are errors', async () => {
    await useBackend('cpu');
    const x = new Rng(0).uniformTensor([1, 32, 32, 3]) as tf.Tensor4D;
    const count = (e: SmallConvEncoder) => e.trainableParameters().reduce((s, [, p]) => s + p.variable.size, 0);
    const full = new SmallConvEncoder({ widths: [4, 6, 8], rng: new Rng(1) });
    expect(full.outputStride).toBe(8);
    for (const [os, hw] of [[8, 4], [4, 8], [2, 16], [1, 32]] as const) {
      const e = new SmallConvEncoder({ widths: [4, 6, 8], outputStride: os, rng: new Rng(1) });
      expect(e.outputStride).toBe(os);
      await expectNoLeaks(() => {
        const y = e.forward(x);
        expect(y.shape).toEqual([1, hw, hw, 8]);
        y.dispose();
      });
      expect(count(e)).toBe(count(full));
      e.dispose();
    }
    // Stride 2 then dilation 1·2 and 2·4: the receptive field of one output still spans most of the image.
    const e2 = new SmallConvEncoder({ widths: [4, 6, 8], outputStride: 2, rng: new Rng(1) });
    const g = tf.tidy(() => tf.grad((xx: tf.Tensor) => tf.sum(tf.slice(e2.forward(xx), [0, 8, 8, 0], [1, 1, 1, -1])))(x));
    const reach = tf.tidy(() => {
      const row = tf.sum(tf.abs(g), [0, 1, 3]).arraySync() as number[];
      return row.filter((v) => v > 0).length;
    });
    expect(reach).toBeGreaterThanOrEqual(30);
    for (const bad of [3, 16]) expect(() => new SmallConvEncoder({ widths: [4, 6, 8], outputStride: bad })).toThrow(/outputStride/);
    tf.dispose([x, g]);
    full.dispose();
    e2.dispose();
  });
});

for (const backend of testBackends()) {
  describe(`CctModel [${backend}]`, () => {
    test('builds one auxiliary decoder per configured perturbation; baseline has none', async () => {
      await useBackend(backend as never);
      const m = tinyModel();
      expect(m.auxDecoders.items.map((d) => d.perturbation)).toEqual(['vat', 'dropout', 'cutout', 'contextMasking', 'objectMasking', 'featureDrop', 'featureNoise']);
      const b = tinyModel(0, 'supervised');
      expect(b.auxDecoders.length).toBe(0);
      expect(() => b.forwardUnsupervised(tf.zeros([1, 16, 16, 3]) as tf.Tensor4D)).toThrow(/no auxiliary decoders/);
      m.dispose();
      b.dispose();
    });

    test("mainLabels: the argmax of forwardUnsupervised's main prediction, without its side effects (running statistics, generators)", async () => {
      await useBackend(backend as never);
      const m = tinyModel(4);
      const x = new Rng(5).uniformTensor([2, 20, 12, 3]) as tf.Tensor4D;
      const before = await Promise.all(m.namedBuffers().map(async ([, b]) => Array.from(await b.data())));
      const extra = JSON.stringify(m.extraStateDict());
      const global = JSON.stringify(globalRng().state());
      await expectNoLeaks(async () => {
        const labels = await m.mainLabels(x);
        expect(labels.length).toBe(2 * 20 * 12);
        expect(m.needsHostMainLabels).toBe(true);
        expect(await Promise.all(m.namedBuffers().map(async ([, b]) => Array.from(await b.data())))).toEqual(before);
        expect(JSON.stringify(m.extraStateDict())).toBe(extra);
        expect(JSON.stringify(globalRng().state())).toBe(global);
        // The forward that follows sees the same main prediction, and G-Cutout takes these labels.
        const out = m.forwardUnsupervised(x, new Rng(6), labels);
        const argmax = tf.argMax(out.mainLogits, 3);
        expect(Array.from(await argmax.data())).toEqual(Array.from(labels));
        tf.dispose([argmax, out.mainLogits, ...out.auxLogits]);
        // (That forward does move the running statistics: what mainLabels restores.)
        expect(await Promise.all(m.namedBuffers().map(async ([, b]) => Array.from(await b.data())))).not.toEqual(before);
      });
      x.dispose();
      m.dispose();
    });

    test('shapes at input resolution, also when the stride does not divide the size; no leaks', async () => {
      await useBackend(backend as never);
      const m = tinyModel();
      const x = new Rng(3).uniformTensor([2, 20, 12, 3]) as tf.Tensor4D;
      await expectNoLeaks(() => {
        const y = m.forward(x);
        expect(y.shape).toEqual([2, 20, 12, 3]);
        const u = m.forwardUnsupervised(x, new Rng(4));
        expect(u.mainLogits.shape).toEqual([2, 20, 12, 3]);
        expect(u.auxLogits).toHaveLength(7);
        for (const a of u.auxLogits) expect(a.shape).toEqual([2, 20, 12, 3]);
        tf.dispose([y, u.mainLogits, ...u.auxLogits]);
      });
      x.dispose();
      m.dispose();
    });

    test('the unsupervised loss trains the encoder and every auxiliary decoder, never the main decoder', async () => {
      await useBackend(backend as never);
      const m = tinyModel(1);
      const x = new Rng(5).uniformTensor([2, 16, 16, 3]) as tf.Tensor4D;
      const grads = namedGrads(m, () => {
        const u = m.forwardUnsupervised(x, new Rng(6));
        return unsupervisedLoss(u.auxLogits, u.mainLogits);
      });
      const names = [...grads.keys()];
      expect(names.some((n) => n.startsWith('mainDecoder.'))).toBe(false);
      for (const [n] of m.encoder.namedParameters('encoder')) expect(grads.get(n), n).toBeGreaterThan(0);
      for (let k = 0; k < 7; k++) expect(names.some((n) => n.startsWith(`auxDecoders.${k}.`) && grads.get(n)! > 0), `aux ${k}`).toBe(true);
      x.dispose();
      m.dispose();
    });

    test('the supervised loss trains the encoder and the main decoder only', async () => {
      await useBackend(backend as never);
      const m = tinyModel(2);
      const x = new Rng(7).uniformTensor([1, 16, 16, 3]) as tf.Tensor4D;
      const y = tf.tensor3d(Array.from({ length: 256 }, (_, i) => i % 3), [1, 16, 16], 'int32');
      const grads = namedGrads(m, () => cctLoss({ supLogits: m.forward(x), labels: y, weightU: 0 }).total);
      expect([...grads.keys()].some((n) => n.startsWith('auxDecoders.'))).toBe(false);
      expect(grads.get('mainDecoder.upsample.0.weight')).toBeGreaterThan(0);
      expect(grads.get('encoder.convs.0.weight')).toBeGreaterThan(0);
      tf.dispose([x, y]);
      m.dispose();
    });

    test("works with @lel/models' SegEncoder (residual + pyramid pooling, stride 8)", async () => {
      await useBackend(backend as never);
      const rng = new Rng(9);
      const m = new CctModel(new SegEncoder('tiny'), { numClasses: 4, perturbations: { ...ONE_EACH, vat: 0, dropout: 0, cutout: 0, contextMasking: 0, objectMasking: 0, featureDrop: 0 } }, rng);
      // Batch 2: the pyramid pooling's 1×1 bin needs more than one value per channel for batch norm.
      const x = rng.uniformTensor([2, 16, 16, 3]) as tf.Tensor4D;
      const grads = namedGrads(m, () => {
        const u = m.forwardUnsupervised(x, rng);
        return unsupervisedLoss(u.auxLogits, u.mainLogits);
      });
      expect([...grads.keys()].some((n) => n.startsWith('encoder.') && grads.get(n)! > 0)).toBe(true);
      expect([...grads.keys()].some((n) => n.startsWith('mainDecoder.'))).toBe(false);
      x.dispose();
      m.dispose();
    });

    test('the gradient through encoder and decoder matches finite differences', async () => {
      await useBackend(backend as never);
      const rng = new Rng(11);
      const m = tinyModel(11, 'supervised').eval();
      const x = rng.uniformTensor([1, 16, 16, 3]);
      const y = tf.tensor3d(Array.from({ length: 256 }, (_, i) => i % 3), [1, 16, 16], 'int32');
      await gradCheck((xx) => segmentationCrossEntropy(m.forward(xx as tf.Tensor4D), y as tf.Tensor3D), [x], { maxElements: 12 });
      tf.dispose([x, y]);
      m.dispose();
    });

    test('labels that do not fit the class count are a clear error', async () => {
      await useBackend(backend as never);
      const m = tinyModel();
      const x = tf.zeros([1, 16, 16, 3]) as tf.Tensor4D;
      const bad = tf.fill([1, 16, 16], 5, 'int32') as tf.Tensor3D;
      const ignored = tf.fill([1, 16, 16], 255, 'int32') as tf.Tensor3D;
      tf.tidy(() => {
        const logits = m.forward(x);
        expect(() => cctLoss({ supLogits: logits, labels: bad, weightU: 1 })).toThrow(/label 5 .* outside \[0, 3\).*numClasses/);
        expect(cctLoss({ supLogits: logits, labels: ignored, weightU: 1 }).sup.dataSync()[0]).toBe(0);
      });
      tf.dispose([x, bad, ignored]);
      m.dispose();
    });
  });
}
