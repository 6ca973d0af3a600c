import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { expect } from 'vitest';
import { describeGolden, type GoldenContext, type GoldenHandler, type GoldenTensor } from '@lel/core/testing';
import { isHostMemoryBackend, readAll } from '@lel/core';
import { abCE } from './ab-ce';
import { unsupervisedLoss } from './consistency';
import { cctLoss } from './loss';
import { guidedMaskParts } from './perturbations/context-masking';
import { dropout2d } from './perturbations/dropout';
import { featureDropParts } from './perturbations/feature-drop';
import { featureNoise } from './perturbations/feature-noise';
import { guidedCutoutParts } from './perturbations/guided-cutout';
import { klBatchmean, vatPerturbationParts } from './perturbations/vat';
import { rampUpWeight } from './ramp-up';

const t4 = (ctx: GoldenContext, name: string) => ctx.input(name) as tf.Tensor4D;

function guidedMask(keep: 'objects' | 'context'): GoldenHandler {
  return (ctx) => {
    const z = t4(ctx, 'z');
    const logits = t4(ctx, 'mainLogits');
    const { fgMaskFull, mask, out } = guidedMaskParts(z, logits, keep);
    ctx.expectEqual('fgMaskFull', fgMaskFull);
    ctx.expectEqual('mask', mask);
    ctx.expectClose('out', out);
    tf.dispose([z, logits, fgMaskFull, mask, out]);
  };
}

/** Every kind of cct.json, each calling the library function the method uses. */
const handlers: Record<string, GoldenHandler> = {
  featureNoise: (ctx) => {
    const z = t4(ctx, 'z');
    const noise = ctx.input('noise');
    const out = featureNoise(z, { noise });
    ctx.expectClose('out', out);
    tf.dispose([z, noise, out]);
  },
  featureDrop: (ctx) => {
    const z = t4(ctx, 'z');
    const parts = featureDropParts(z, { gamma: ctx.inputValue<number>('gamma') });
    ctx.expectClose('attention', parts.attention);
    ctx.expectClose('threshold', parts.threshold);
    ctx.expectEqual('mask', parts.mask);
    ctx.expectClose('out', parts.out);
    tf.dispose([z, parts.attention, parts.threshold, parts.mask, parts.out]);
  },
  dropout2d: (ctx) => {
    const z = t4(ctx, 'z');
    const keepMask = ctx.input('keepMask');
    const out = dropout2d(z, { p: ctx.param('p'), keepMask });
    ctx.expectClose('out', out);
    tf.dispose([z, keepMask, out]);
  },
  contextMasking: guidedMask('objects'),
  objectMasking: guidedMask('context'),
  guidedCutout: async (ctx) => {
    const z = t4(ctx, 'z');
    const logits = t4(ctx, 'mainLogits');
    const offsetsTensor = ctx.inputInt('offsets');
    // Read before the call, as the cct method does on GPU backends (on cpu/wasm the same values are read inside).
    const offsets = (await offsetsTensor.array()) as number[][][];
    const argmax = tf.argMax(logits, 3);
    const labels = await argmax.data();
    argmax.dispose();
    const parts = guidedCutoutParts(z, logits, {
      erase: ctx.param('erase'),
      minPixels: ctx.param('minPixels'),
      connectivity: ctx.param<4 | 8>('connectivity'),
      offsets,
      labels,
    });
    // On host backends also the in-call reads (no labels, the offsets tensor): the same parts.
    if (isHostMemoryBackend()) {
      const inCall = guidedCutoutParts(z, logits, { erase: ctx.param('erase'), minPixels: ctx.param('minPixels'), connectivity: ctx.param<4 | 8>('connectivity'), offsets: offsetsTensor });
      expect(inCall.boxes).toEqual(parts.boxes);
      tf.dispose([inCall.cutMaskFull, inCall.mask, inCall.out]);
    }
    ctx.expectEqual('numComponents', parts.numComponents);
    const expBoxes = ctx.expected<GoldenTensor>('boxes');
    const k = expBoxes.shape[1]!;
    const flat = parts.boxes.flatMap((img) => Array.from({ length: k }, (_, i) => img[i] ?? [-1, -1, -1, -1]).flat());
    ctx.expectEqual('boxes', flat);
    ctx.expectEqual('cutMaskFull', parts.cutMaskFull);
    ctx.expectEqual('mask', parts.mask);
    ctx.expectClose('out', parts.out);
    tf.dispose([z, logits, offsetsTensor, parts.cutMaskFull, parts.mask, parts.out]);
  },
  vatPerturbation: (ctx) => {
    const z = t4(ctx, 'z');
    const kernel = ctx.input('kernel') as tf.Tensor4D;
    const bias = ctx.input('bias');
    const d0 = ctx.input('d0');
    const dec = (x: tf.Tensor4D) => tf.add(tf.conv2d(x, kernel, 1, 'valid'), bias);
    const parts = vatPerturbationParts(z, dec, { xi: ctx.param('xi'), eps: ctx.param('eps'), iterations: ctx.param('iterations'), d0 });
    ctx.expectClose('p', parts.p);
    ctx.expectClose('dInit', parts.dInit);
    ctx.expectClose('advDistance', parts.advDistance);
    ctx.expectClose('gradD', parts.gradD);
    ctx.expectClose('rAdv', parts.rAdv);
    tf.tidy(() => {
      const logitsAdv = dec(tf.add(z, parts.rAdv) as tf.Tensor4D);
      ctx.expectClose('logitsAdv', logitsAdv);
      ctx.expectClose('probsAdv', tf.softmax(logitsAdv));
      ctx.expectClose('klAdv', klBatchmean(parts.p, tf.log(parts.p), logitsAdv));
    });
    tf.dispose([z, kernel, bias, d0, parts.p, parts.dInit, parts.advDistance, parts.gradD, parts.rAdv]);
  },
  unsupervisedMse: (ctx) => {
    const auxAll = ctx.input('auxLogits');
    const main = t4(ctx, 'mainLogits');
    const gi = ctx.param<number>('gradIndex');
    tf.tidy(() => {
      const aux = tf.unstack(auxAll) as tf.Tensor4D[];
      const loss = unsupervisedLoss(aux, main, { type: 'mse' });
      ctx.expectClose('loss', loss);
      const gradAux = tf.grad((a: tf.Tensor) => unsupervisedLoss(aux.map((x, k) => (k === gi ? (a as tf.Tensor4D) : x)), main))(aux[gi]!);
      ctx.expectClose('gradAux', gradAux);
      // The target is detached: the main logits have no gradient path at all (reported as zeros).
      const { grads } = tf.engine().gradients(() => unsupervisedLoss(aux, main), [main], undefined, true);
      ctx.expectClose('gradMain', grads[0] ?? tf.zerosLike(main));
    });
    tf.dispose([auxAll, main]);
  },
  rampUpWeight: (ctx) => {
    const t = ctx.inputValue<GoldenTensor>('t').data;
    const w = t.map((ti) => rampUpWeight(ti, { wMax: ctx.param('wMax'), rampupLength: ctx.param('rampupLength') }));
    ctx.expectClose('weight', w);
  },
  abCE: async (ctx) => {
    const logits = t4(ctx, 'logits');
    const labels = ctx.inputInt('labels') as tf.Tensor3D;
    const r = abCE(logits, labels, {
      t: ctx.param('t'),
      totalIters: ctx.param('totalIters'),
      minKept: ctx.param('minKept'),
      ignoreIndex: ctx.param('ignoreIndex'),
    });
    ctx.expectClose('tau', r.tau);
    const [minThreshold, threshold, numSelected, loss] = await readAll([r.minThreshold, r.threshold, r.numSelected, r.loss], { dispose: true });
    ctx.expectClose('minThreshold', minThreshold![0]!);
    ctx.expectClose('threshold', threshold![0]!);
    ctx.expectEqual('numSelected', numSelected![0]!);
    ctx.expectClose('loss', loss![0]!);
    tf.dispose([logits, labels]);
  },
  cctLoss: (ctx) => {
    const supLogits = t4(ctx, 'supLogits');
    const labels = ctx.inputInt('labels') as tf.Tensor3D;
    const main = t4(ctx, 'unsupMainLogits');
    const auxAll = ctx.input('auxLogits');
    tf.tidy(() => {
      const parts = cctLoss(
        { supLogits, labels, unsupMainLogits: main, auxLogits: tf.unstack(auxAll) as tf.Tensor4D[], weightU: ctx.param('wU'), t: ctx.param('t') },
        { supWeight: ctx.param('supWeight'), softmaxTemp: ctx.param('softmaxTemp'), ignoreIndex: ctx.param('ignoreIndex'), type: 'mse' },
      );
      // w_u given by the case must equal our ramp at t.
      ctx.expectClose('lossSup', parts.sup);
      ctx.expectClose('lossUnsup', parts.unsup);
      ctx.expectClose('lossUnsupWeighted', parts.unsupWeighted);
      ctx.expectClose('total', parts.total);
      const w = rampUpWeight(ctx.param('t'), { wMax: ctx.param('wMax'), rampupLength: ctx.param('rampupLength') });
      if (Math.abs(w - ctx.param<number>('wU')) > 1e-6 * Math.max(1, w)) throw new Error(`rampUpWeight(t) = ${w}, case wU = ${ctx.param('wU')}`);
    });
    tf.dispose([supLogits, labels, main, auxAll]);
  },
};

describeGolden(new URL('./fixtures/cct.json', import.meta.url), handlers);
