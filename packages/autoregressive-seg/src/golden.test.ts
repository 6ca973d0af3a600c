import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describeGolden } from '@lel/core/testing';
import { causalityViolations, receptiveField } from './causality';
import { hungarianPixelAccuracy } from './evaluate';
import { iicLoss } from './iic-loss';
import { maskedConv2d } from './masked-conv';
import { orderingKernelMask, visitRank } from './orderings';

type Tensorish = { shape: number[]; data: number[] };

// Every case of fixtures/arseg.json (or of the file named by env LEL_GOLDEN), on every installed backend.
describeGolden(new URL('./fixtures/arseg.json', import.meta.url), {
  orderingKernelMask: (ctx) => {
    const k = ctx.param<number>('kernelSize');
    const orderings = ctx.param<number[]>('orderings');
    const res = orderings.map((o) => orderingKernelMask(k, o));
    ctx.expectEqual('padding', res.flatMap((r) => r.padding));
    ctx.expectEqual('mask', res.flatMap((r) => r.mask.flat()));
  },

  maskedConv: (ctx) => {
    const x = ctx.input('x');
    const kernel = ctx.input('kernel');
    const bias = ctx.input('bias');
    const outs = ctx.param<number[]>('orderings').map((o) => maskedConv2d(x, kernel, bias, o));
    const out = tf.stack(outs);
    try {
      ctx.expectClose('out', out);
    } finally {
      tf.dispose([x, kernel, bias, out, ...outs]);
    }
  },

  causalityCheck: async (ctx) => {
    const h = ctx.param<number>('height');
    const w = ctx.param<number>('width');
    const row = ctx.param<number>('row');
    const col = ctx.param<number>('col');
    const layers = ctx.param<number>('numLayers');
    const k = ctx.param<number>('kernelSize');
    const orderings = ctx.param<number[]>('orderings');
    const ones = tf.ones([k, k, 1, 1]);
    try {
      const fields = await Promise.all(orderings.map((o) =>
        receptiveField(
          (x) => {
            let y: tf.Tensor = x;
            for (let l = 0; l < layers; l++) y = maskedConv2d(y, ones, null, o);
            return y;
          },
          [h, w, 1],
          row,
          col,
        ),
      ));
      ctx.expectEqual('receptiveField', fields.flatMap((f) => Array.from(f)));
      ctx.expectEqual('visitRank', orderings.flatMap((o) => Array.from(visitRank(h, w, o))));
      ctx.expectEqual('rfSize', fields.map((f) => f.reduce((a, b) => a + b, 0)));
      orderings.forEach((o, s) => {
        const bad = causalityViolations(fields[s]!, h, w, row, col, o);
        if (bad.length) throw new Error(`ordering ${o}: output (${row}, ${col}) depends on later pixels ${JSON.stringify(bad)}`);
      });
    } finally {
      ones.dispose();
    }
  },

  iicLossCollapsed: (ctx) => {
    const y1 = ctx.input('y1');
    const y2 = ctx.input('y2');
    const halfT = ctx.param<number>('halfT');
    const r = iicLoss(y1, y2, { form: 'collapsed', halfT, lambda: ctx.param<number>('lambda') });
    const r1 = iicLoss(y1, y2, { form: 'collapsed', halfT, lambda: 1 });
    try {
      ctx.expectClose('joint', r.joint);
      ctx.expectClose('marginal', r.marginal);
      ctx.expectClose('loss', r.loss);
      ctx.expectClose('lossNoLambda', r1.loss);
    } finally {
      tf.dispose([y1, y2, r.loss, r.joint, r.marginal, r1.loss, r1.joint, r1.marginal]);
    }
  },

  iicLossUncollapsed: (ctx) => {
    const y1 = ctx.input('y1');
    const y2 = ctx.input('y2');
    const halfT = ctx.param<number>('halfT');
    const r = iicLoss(y1, y2, { form: 'uncollapsed', halfT, lambda: ctx.param<number>('lambda') });
    const r1 = iicLoss(y1, y2, { form: 'uncollapsed', halfT, lambda: 1 });
    try {
      ctx.expectClose('loss', r.loss);
      ctx.expectClose('lossNoLambda', r1.loss);
      ctx.expectClose('perDisplacementLoss', r.perDisplacement!);
    } finally {
      tf.dispose([y1, y2, r.loss, r.joint, r.marginal, r.perDisplacement!, r1.loss, r1.joint, r1.marginal, r1.perDisplacement!]);
    }
  },

  hungarianPixelAccuracy: (ctx) => {
    const pred = ctx.inputValue<Tensorish>('pred').data;
    const target = ctx.inputValue<Tensorish>('target').data;
    const K = ctx.param<number>('numClusters');
    const res = hungarianPixelAccuracy(pred, target, { numClusters: K, ignoreIndex: ctx.param<number>('ignoreIndex') });
    ctx.expectEqual('counts', res.counts.flat());
    ctx.expectEqual('matched', res.matched);
    ctx.expectEqual('numValid', res.numValid);
    ctx.expectClose('accuracy', res.accuracy);
    // With ties, any optimal permutation is correct: the mapping must be one of them.
    const all = ctx.expected<Tensorish>('allOptimalMappings');
    const options = Array.from({ length: all.shape[0]! }, (_, r) => JSON.stringify(all.data.slice(r * K, (r + 1) * K)));
    if (!options.includes(JSON.stringify(res.mapping))) throw new Error(`mapping ${JSON.stringify(res.mapping)} is not among the optimal ${options.join(' ')}`);
    ctx.expectEqual('numOptimal', options.length);
  },
});
