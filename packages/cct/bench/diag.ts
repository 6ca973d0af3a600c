/** Diagnostics for the collapse to background (not a test): trains one model like bench.ts and prints statistics. */
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, setGlobalSeed, useBackend } from '@lel/core';
import { makeDigitScenes } from '@lel/datasets/node';
import { CctModel, SmallConvEncoder, evaluateSegmentation, segmentationSet, trainCct, type CctConfigInput } from '../src/index';

const STEPS = Number(process.env.D_STEPS ?? 300);
const WIDTHS: number[] = JSON.parse(process.env.D_WIDTHS ?? '[16,32,32]');
const SIZE = Number(process.env.D_SIZE ?? 32);
const LR = Number(process.env.D_LR ?? 0.1);
const RELU = process.env.D_RELU === '1';
const MODE = (process.env.D_MODE ?? 'supervised') as 'semi' | 'supervised';

async function main(): Promise<void> {
  await useBackend('wasm');
  setGlobalSeed(0);
  const train = makeDigitScenes({ n: 512, size: SIZE, seed: 'bench-train', split: 'train' });
  const valData = makeDigitScenes({ n: 64, size: SIZE, seed: 'bench-val', split: 'test' });
  const order = new Rng('split/0').permutation(512);
  const labelled = segmentationSet(train, order.slice(0, 64));
  const unlabelled = segmentationSet(train, order.slice(64));
  const val = segmentationSet(valData);
  const stride = Number(process.env.D_OS ?? 2 ** WIDTHS.length);
  const ipe = MODE === 'semi' ? 56 : 8;
  const config: CctConfigInput = {
    numClasses: 11, mode: MODE,
    perturbations: { vat: 1, dropout: 1, cutout: 1, contextMasking: 1, objectMasking: 1, featureDrop: 1, featureNoise: 1 },
    vat: { xi: 0.1, eps: 2, iterations: 1 }, cutout: { erase: 0.4, minPixels: 10 },
    optim: { lr: LR, momentum: 0.9, weightDecay: 1e-4, encoderLrScale: 1, polyPower: 0.9 },
    decoderFinalRelu: RELU, upscale: stride,
    train: { epochs: Math.max(1, Math.round(STEPS / ipe)), labelledBatchSize: 8, unlabelledBatchSize: 8, valEvery: 1000, earlyStop: 0, seed: 0, weakLabels: false },
  };
  const rng = new Rng('init/0');
  const enc = new SmallConvEncoder({ widths: WIDTHS, rng, outputStride: stride });
  const model = new CctModel(enc, config, rng);
  const t0 = performance.now();
  const r = await trainCct({ model, labelled, unlabelled: MODE === 'semi' ? unlabelled : undefined, maxSteps: STEPS, ...(process.env.D_NOFLIP ? { augment: null } : {}) });
  const ms = (performance.now() - t0) / STEPS;
  const hist = r.history.filter((h) => h.type === 'train');
  console.log('loss', hist.filter((_, i) => i % 5 === 4).map((h) => Number(h.loss).toFixed(3)).join(' '));
  model.eval();
  const statsOf = (set: typeof val) => tf.tidy(() => {
    const logits = model.forward(set.images);
    const p = tf.softmax(logits);
    const pred = tf.argMax(logits, 3);
    const lab = set.labels;
    const fg = tf.greater(lab, 0);
    const predCounts = tf.bincount(tf.reshape(tf.cast(pred, 'int32'), [-1]) as tf.Tensor1D, tf.tensor1d([], 'float32'), 11).arraySync();
    const labCounts = tf.bincount(tf.reshape(lab, [-1]) as tf.Tensor1D, tf.tensor1d([], 'float32'), 11).arraySync();
    const pbg = tf.squeeze(tf.slice(p, [0, 0, 0, 0], [-1, -1, -1, 1]), [3]);
    const fgDetected = tf.logicalAnd(fg, tf.less(pbg, 0.5));
    const fgPredAsFg = tf.logicalAnd(fg, tf.greater(pred, 0));
    const bgFalse = tf.logicalAnd(tf.logicalNot(fg), tf.less(pbg, 0.5));
    const nfg = tf.sum(tf.cast(fg, 'float32')).arraySync() as number;
    // digit identity on fg pixels among digit classes
    const digitP = tf.slice(p, [0, 0, 0, 1], [-1, -1, -1, 10]);
    const digitArg = tf.add(tf.argMax(digitP, 3), 1);
    const digitRight = tf.sum(tf.cast(tf.logicalAnd(fg, tf.equal(tf.cast(digitArg, 'int32'), lab)), 'float32')).arraySync() as number;
    return {
      logitMean: (tf.mean(logits).arraySync() as number).toFixed(3), logitMin: (tf.min(logits).arraySync() as number).toFixed(3), logitMax: (tf.max(logits).arraySync() as number).toFixed(3),
      predCounts, labCounts,
      fgRecallP05: ((tf.sum(tf.cast(fgDetected, 'float32')).arraySync() as number) / nfg).toFixed(3),
      fgArgmaxRecall: ((tf.sum(tf.cast(fgPredAsFg, 'float32')).arraySync() as number) / nfg).toFixed(3),
      bgFalsePos: (tf.sum(tf.cast(bgFalse, 'float32')).arraySync() as number),
      digitIdAcc: (digitRight / nfg).toFixed(3),
    };
  });
  // dead units: fraction of ReLU pre-activations ≤ 0 per decoder block
  const dead = tf.tidy(() => {
    const z = model.encode(val.images);
    const out: string[] = [`enc zero-frac ${(tf.mean(tf.cast(tf.lessEqual(z, 0), 'float32')).arraySync() as number).toFixed(3)}`];
    let x: tf.Tensor = z;
    const items = model.mainDecoder.upsample.items;
    items.forEach((m, i) => {
      if (i === 0) { x = m.forward(x); out.push(`conv0 std ${(Math.sqrt(tf.moments(x).variance.arraySync() as number)).toFixed(3)}`); return; }
      const conv = m.children()[0]![1] as unknown as { forward(t: tf.Tensor): tf.Tensor };
      const pre = conv.forward(x);
      const deadCh = (tf.max(pre, [0, 1, 2]).arraySync() as number[]).filter((v) => v <= 0).length;
      out.push(`blk${i} neg-frac ${(tf.mean(tf.cast(tf.lessEqual(pre, 0), 'float32')).arraySync() as number).toFixed(3)} deadCh ${deadCh}/${pre.shape[3]}`);
      x = m.forward(x);
    });
    return out.join(' | ');
  });
  console.log('val mIoU', (100 * (await evaluateSegmentation(model, val, { numClasses: 11 })).miou).toFixed(2), 'train mIoU', (100 * (await evaluateSegmentation(model, labelled, { numClasses: 11 })).miou).toFixed(2));
  console.log('val', JSON.stringify(statsOf(val)));
  console.log('train(labelled)', JSON.stringify(statsOf(labelled)));
  console.log(dead, `| ${ms.toFixed(0)} ms/step`);
}
main().catch((e) => { console.error(e); process.exit(1); });
