import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { describeGolden, type GoldenContext } from '@lel/core/testing';
import { kdLoss } from './kd-loss';
import { continuationSchedule } from './continuation-schedule';
import { continuationKdLoss } from './continuation-loss';
import { labelSmoothingCrossEntropy } from './label-smoothing';
import { confidencePenaltyLoss } from './confidence-penalty';
import { ensembleSoftTargets } from './ensemble';

/** Run `fn` in a tidy scope so a handler never leaks (the runner checks it). */
function tidy(fn: () => void): void {
  tf.tidy(() => {
    fn();
  });
}

// Every case of distill.json (or of the file named by env LEL_GOLDEN), on every installed backend.
describeGolden(new URL('./fixtures/distill.json', import.meta.url), {
  kdLoss: (ctx: GoldenContext) =>
    tidy(() => {
      const parts = kdLoss(
        { studentLogits: ctx.input('studentLogits'), teacherLogits: ctx.input('teacherLogits'), labels: ctx.inputInt('labels') },
        { alpha: ctx.param('alpha'), temperature: ctx.param('temperature') },
      );
      ctx.expectClose('hardLoss', parts.hard);
      ctx.expectClose('softLoss', parts.soft);
      ctx.expectClose('loss', parts.total);
    }),
  continuationSchedule: (ctx) => {
    const epochs = ctx.param('epochs');
    const tMax = ctx.param('tMax');
    const nlu = continuationSchedule({ epochs, tMax, psi: { kind: 'paper-nlu' } });
    const lin = continuationSchedule({ epochs, tMax, psi: { kind: 'linear', rampEpochs: ctx.param('psiRampEpochs') } });
    ctx.expectEqual('k', nlu.k);
    ctx.expectClose('T', nlu.T);
    ctx.expectClose('phi', nlu.phi);
    ctx.expectClose('psiNlu', nlu.psi);
    ctx.expectClose('psiLinear', lin.psi);
  },
  continuationLoss: (ctx) =>
    tidy(() => {
      const parts = continuationKdLoss(
        { studentLogits: ctx.input('studentLogits'), teacherLogits: ctx.input('teacherLogits'), labels: ctx.inputInt('labels') },
        { psi: ctx.param('psi'), phi: ctx.param('phi'), margin: ctx.param('margin') },
      );
      ctx.expectClose('ce', parts.hard);
      ctx.expectClose('sqDist', parts.sqDist);
      ctx.expectClose('hinge', parts.hinge);
      ctx.expectClose('lCnt', parts.soft);
      ctx.expectClose('loss', parts.total);
    }),
  labelSmoothingCE: (ctx) =>
    tidy(() => {
      const parts = labelSmoothingCrossEntropy(ctx.input('logits'), ctx.inputInt('labels'), { epsilon: ctx.param('epsilon') });
      ctx.expectClose('loss', parts.total);
    }),
  confidencePenalty: (ctx) =>
    tidy(() => {
      const logits = ctx.input('logits');
      const labels = ctx.inputInt('labels');
      const plain = confidencePenaltyLoss(logits, labels, { beta: ctx.param('beta') });
      const thresholded = confidencePenaltyLoss(logits, labels, { beta: ctx.param('beta'), threshold: ctx.param('gamma') });
      ctx.expectClose('ce', plain.hard);
      ctx.expectClose('entropy', plain.entropy);
      ctx.expectClose('loss', plain.total);
      ctx.expectClose('lossThresholded', thresholded.total);
    }),
  ensembleSoftTargets: (ctx) =>
    tidy(() => {
      ctx.expectClose('softTargets', ensembleSoftTargets(ctx.input('teacherLogits'), ctx.param('temperature')));
    }),
});
