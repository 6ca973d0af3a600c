import * as path from 'node:path';
import type { Callback, StepMetrics, TrainContext } from '../train/types';
import { TensorBoardWriter } from './writer';

/** Options of {@link tensorBoardLogger}. */
export interface TensorBoardLoggerOptions {
  /** Folder of the event files. Default `<runDir>/tensorboard` (the folder of the `fit` call). */
  dir?: string;
  /** Write the mean of each training metric over the last N steps every N steps (default 1: every step). */
  logEvery?: number;
  /** Tag prefix of training metrics (default `train/`) and of evaluation metrics (default `val/`). */
  trainPrefix?: string;
  evalPrefix?: string;
  /** `fsync` at every evaluation, epoch end and the end of training (default true). */
  fsync?: boolean;
}

/** The callback {@link tensorBoardLogger} returns: `writer` is the open writer of the running `fit`. */
export interface TensorBoardLoggerCallback extends Callback {
  readonly writer: TensorBoardWriter | undefined;
}

/**
 * A `fit` callback writing TensorBoard event files next to `metrics.jsonl`: training metrics (loss parts, `lr`)
 * as `train/<name>` at the number of steps completed, evaluation metrics as `val/<name>`. A resumed run writes a new
 * file starting with TensorBoard's purge marker, so the steps after the checkpoint are not shown twice. One
 * callback can serve several `fit` calls (each opens its own file in its own run folder). Node only.
 */
export function tensorBoardLogger(options: TensorBoardLoggerOptions = {}): TensorBoardLoggerCallback {
  const every = options.logEvery ?? 1;
  if (!Number.isInteger(every) || every < 1) throw new Error(`tensorBoardLogger: logEvery must be an integer ≥ 1, got ${every}`);
  const trainPrefix = options.trainPrefix ?? 'train/';
  const evalPrefix = options.evalPrefix ?? 'val/';
  let writer: TensorBoardWriter | undefined;
  let sums: Record<string, number> = {};
  let count = 0;
  let lastLr: number | undefined;

  const flushWindow = (step: number) => {
    if (!writer || count === 0) return;
    const means: Record<string, number> = {};
    for (const [k, v] of Object.entries(sums)) means[k] = v / count;
    if (lastLr !== undefined) means['lr'] = lastLr;
    writer.addScalars(means, step, trainPrefix);
    sums = {};
    count = 0;
  };

  return {
    get writer() {
      return writer;
    },
    onTrainStart(ctx: TrainContext) {
      const dir = options.dir ?? (ctx.runDir ? path.join(ctx.runDir, 'tensorboard') : undefined);
      if (!dir) throw new Error('tensorBoardLogger: this fit has no runDir; give the logger a dir');
      writer?.close();
      writer = new TensorBoardWriter(dir, { fsync: options.fsync ?? true });
      sums = {};
      count = 0;
      if (ctx.resumedFrom !== undefined) writer.purgeFrom(ctx.step + 1);
    },
    onStepEnd(ctx: TrainContext, metrics: StepMetrics) {
      for (const [k, v] of Object.entries(metrics)) {
        if (k === 'lr') lastLr = v;
        else if (typeof v === 'number') sums[k] = (sums[k] ?? 0) + v;
      }
      count++;
      if (ctx.step % every === 0) flushWindow(ctx.step);
    },
    onEvaluate(metrics: Record<string, number>, ctx: TrainContext) {
      writer?.addScalars(metrics, ctx.step, evalPrefix);
      writer?.flush();
    },
    onEpochEnd() {
      writer?.flush();
    },
    onTrainEnd(ctx: TrainContext) {
      flushWindow(ctx.step);
      writer?.close();
      writer = undefined;
    },
  };
}
