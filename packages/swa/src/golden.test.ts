import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { describeGolden, type GoldenContext } from '@lel/core/testing';
import { AveragedModel } from './averaged-model';
import { swaLrSchedule } from './swa-lr-schedule';
import { swaAveragingSteps } from './swa-start-schedule';
import { updateBn } from './update-bn';
import { BnOnly, SingleParameter } from './test-models.fixture';

/** Feed each snapshot into a one-parameter model, average it, and collect the averages. */
function runAveraging(ctx: GoldenContext, options: ConstructorParameters<typeof AveragedModel>[1]): { averages: tf.Tensor; n: number[] } {
  const snaps = ctx.input('snapshots');
  const [T, ...shape] = snaps.shape;
  const model = new SingleParameter(shape);
  const avg = new AveragedModel(model, options);
  const rows: tf.Tensor[] = [];
  const n: number[] = [];
  const parts = tf.unstack(snaps);
  for (let t = 0; t < T!; t++) {
    model.w.assign(parts[t]!);
    avg.update(model);
    rows.push(avg.averagedParameter('w').clone());
    n.push(avg.nAveraged);
  }
  const averages = tf.stack(rows);
  tf.dispose([snaps, ...parts, ...rows]);
  avg.dispose();
  model.dispose();
  return { averages, n };
}

// Every case of swa.json (or of the file named by env LEL_GOLDEN), on every installed backend.
describeGolden(new URL('./fixtures/swa.json', import.meta.url), {
  swaAverage: (ctx) => {
    const { averages, n } = runAveraging(ctx, { strategy: 'swa' });
    ctx.expectClose('averages', averages);
    ctx.expectEqual('nAveraged', n);
    averages.dispose();
  },
  emaAverage: (ctx) => {
    const { averages } = runAveraging(ctx, { strategy: 'ema', decay: ctx.param('decay') });
    ctx.expectClose('averages', averages);
    averages.dispose();
  },
  swaLrSchedule: (ctx) => {
    const schedule = swaLrSchedule({
      base: ctx.param('lr'),
      swaLr: ctx.param('swaLr'),
      annealEpochs: ctx.param('annealEpochs'),
      annealStrategy: ctx.param<'cos' | 'linear'>('annealStrategy'),
    });
    const lrs = Array.from({ length: ctx.param('numSteps') + 1 }, (_, k) => schedule.lrAt(k));
    ctx.expectClose('lrs', lrs);
  },
  updateBn: async (ctx) => {
    const x = ctx.input('x');
    const sizes = ctx.param<number[]>('batchSizes');
    // @lel/core's BatchNorm2d (momentum 0.1, no cumulative mode): updateBn must still give torch's
    // cumulative average, because it measures the layer inputs itself.
    const model = new BnOnly(x.shape[x.rank - 1]!);
    const batches = tf.split(x, sizes, 0);
    const report = await updateBn(model, batches);
    ctx.expectClose('runningMean', model.bn.runningMean);
    ctx.expectClose('runningVar', model.bn.runningVar);
    ctx.expectEqual('numBatchesTracked', report.batches);
    tf.dispose([x, ...batches]);
    model.dispose();
  },
  swaStartSchedule: (ctx) => {
    const { startStep, steps } = swaAveragingSteps({
      totalSteps: ctx.param('totalSteps'),
      swaStart: ctx.param('swaStart'),
      every: ctx.param('every'),
    });
    ctx.expectEqual('startStep', startStep);
    ctx.expectEqual('steps', steps);
    ctx.expectEqual('numAverages', steps.length);
  },
});
