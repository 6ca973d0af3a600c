import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import type { GoldenContext, GoldenTensor } from '@lel/core/testing';
import { describeGolden } from '@lel/core/testing';
import { readValues } from '@lel/core';
import { spatialSimilarity, type AttentionWeights, type SpatialAggregation } from './attention';
import { globalContrastiveLoss, selfSupConLoss, supConLoss } from './contrastive';
import { featureDistance, klDistillation } from './distill-loss';
import { episodeAccuracyCI } from './fewshot/ci';
import { fitLogisticRegression, argmaxRows } from './fewshot/logreg';
import { protoNetLogits } from './fewshot/protonet';

function inputs(ctx: GoldenContext, names: string[]): tf.Tensor[] {
  return names.map((n) => ctx.input(n));
}

// Every case of fixtures/scl.json (or of the file named by env LEL_GOLDEN), on every installed backend.
describeGolden(new URL('./fixtures/scl.json', import.meta.url), {
  spatialSimilarity: (ctx) => {
    const [a, b, q1, q2, k1, k2, v1, v2] = inputs(ctx, ['A', 'B', 'q1', 'q2', 'k1', 'k2', 'v1', 'v2']);
    const weights = { q1, q2, k1, k2, v1, v2 } as unknown as AttentionWeights;
    try {
      const out = spatialSimilarity(a!, b!, weights, { aggregation: ctx.param<SpatialAggregation>('aggregation'), lambdaLse: ctx.param('lambdaLse'), perLocation: true });
      ctx.expectClose('similarity', out.similarity);
      ctx.expectClose('perLocation', out.perLocation!);
      tf.dispose([out.similarity, out.perLocation!]);
    } finally {
      tf.dispose([a!, b!, q1!, q2!, k1!, k2!, v1!, v2!]);
    }
  },
  supConLoss: (ctx) => {
    const s = ctx.input('similarity');
    const y = ctx.inputInt('labels');
    try {
      const r = supConLoss(s, y, { inverseTemperature: ctx.param('inverseTemperature'), excludeSelf: ctx.param<boolean>('excludeSelf') });
      ctx.expectClose('loss', r.loss);
      ctx.expectClose('perAnchorLoss', r.perAnchorLoss);
      ctx.expectEqual('numPositives', r.numPositives);
      tf.dispose([r.loss, r.perAnchorLoss, r.numPositives]);
    } finally {
      tf.dispose([s, y]);
    }
  },
  selfSupConLoss: (ctx) => {
    const s = ctx.input('similarity');
    try {
      const r = selfSupConLoss(s, { inverseTemperature: ctx.param('inverseTemperature') });
      ctx.expectClose('loss', r.loss);
      ctx.expectClose('perAnchorLoss', r.perAnchorLoss);
      tf.dispose([r.loss, r.perAnchorLoss, r.numPositives]);
    } finally {
      s.dispose();
    }
  },
  globalContrastiveLoss: (ctx) => {
    const z = ctx.input('projections');
    const y = ctx.hasInput('labels') ? ctx.inputInt('labels') : null;
    try {
      const r = globalContrastiveLoss(z, y, { inverseTemperature: ctx.param('inverseTemperature') });
      ctx.expectClose('similarity', r.similarity);
      ctx.expectClose('loss', r.loss);
      ctx.expectClose('perAnchorLoss', r.perAnchorLoss);
      tf.dispose([r.similarity, r.loss, r.perAnchorLoss, r.numPositives]);
    } finally {
      tf.dispose(y ? [z, y] : [z]);
    }
  },
  featureDistance: (ctx) => {
    const s = ctx.input('student');
    const t = ctx.input('teacher');
    try {
      const loss = featureDistance(s, t);
      ctx.expectClose('loss', loss);
      loss.dispose();
    } finally {
      tf.dispose([s, t]);
    }
  },
  klDistillation: (ctx) => {
    const s = ctx.input('studentLogits');
    const t = ctx.input('teacherLogits');
    try {
      const loss = klDistillation(s, t, ctx.param('temperature'));
      ctx.expectClose('loss', loss);
      loss.dispose();
    } finally {
      tf.dispose([s, t]);
    }
  },
  fewShotLogReg: (ctx) => {
    const support = ctx.inputValue<GoldenTensor>('supportFeatures');
    const labels = ctx.inputValue<GoldenTensor>('supportLabels').data;
    const query = ctx.inputValue<GoldenTensor>('queryFeatures');
    const model = fitLogisticRegression(support, labels, { C: ctx.param('C'), maxIter: ctx.param('maxIter') });
    const proba = model.predictProba(query);
    ctx.expectClose('probabilities', proba);
    ctx.expectEqual('predictions', argmaxRows(proba, model.classes.length, model.classes));
    ctx.expectEqual('predictions', model.predict(query));
    ctx.expectClose('coef', model.coef);
    ctx.expectClose('intercept', model.intercept);
  },
  protoNetLogits: async (ctx) => {
    const s = ctx.input('supportFeatures');
    const y = Array.from(ctx.inputValue<GoldenTensor>('supportLabels').data, Number);
    const q = ctx.input('queryFeatures');
    try {
      const { logits, classes } = protoNetLogits(s, y, q);
      ctx.expectClose('logits', logits);
      ctx.expectEqual('predictions', argmaxRows(await readValues(logits), classes.length, classes));
      logits.dispose();
    } finally {
      tf.dispose([s, q]);
    }
  },
  episodeAccuracyCI: (ctx) => {
    const acc = ctx.inputValue<GoldenTensor>('accuracies').data;
    const ci = episodeAccuracyCI(acc, ctx.param('confidence'));
    ctx.expectClose('mean', ci.mean);
    ctx.expectClose('halfWidth', ci.halfWidth);
    ctx.expectClose('sem', ci.sem);
    ctx.expectClose('tQuantile', ci.tQuantile);
  },
});
