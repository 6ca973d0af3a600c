import * as tf from '@tensorflow/tfjs-core';
import type { GoldenContext, GoldenHandler } from '../testing/golden';
import { BatchNorm2d } from '../layers/batch-norm';
import { Conv2d } from '../layers/conv';
import { LayerNorm } from '../layers/layer-norm';
import { pixelShuffle } from '../layers/pixel-shuffle';
import { resizeBilinear } from '../layers/resize';
import { crossEntropy } from '../losses/cross-entropy';
import { entropy } from '../losses/entropy';
import { klDivergence } from '../losses/kl-divergence';
import { softmaxMse } from '../losses/softmax-mse';

/** Run `fn` with the case's expected error semantics: must throw when the case expects an error. */
async function run(ctx: GoldenContext, fn: () => void): Promise<void> {
  if (ctx.expectsError) await ctx.expectRejects(() => tf.tidy(fn));
  else tf.tidy(fn);
}

/** A BatchNorm2d holding the case's parameters and running statistics (the input tensors are freed: loading copies). */
function loadBatchNorm(ctx: GoldenContext, eps: number, momentum: number): BatchNorm2d {
  const state = { weight: ctx.input('gamma'), bias: ctx.input('beta'), running_mean: ctx.input('runningMean'), running_var: ctx.input('runningVar') };
  try {
    const bn = new BatchNorm2d(state.weight.shape[0]!, { eps, momentum });
    bn.loadStateDict(state);
    return bn;
  } finally {
    tf.dispose(Object.values(state));
  }
}

/** Golden handlers for layers and losses (crossEntropy, klDivergence, softmaxMse, entropy, resizeBilinear, pixelShuffle, layerNorm, batchNorm2d*, conv2dDilated). */
export const nnHandlers: Record<string, GoldenHandler> = {
  crossEntropy: (ctx) =>
    run(ctx, () => {
      const logits = ctx.input('logits');
      const labels = ctx.inputInt('labels');
      const opts = { ignoreIndex: ctx.param('ignoreIndex', -100), labelSmoothing: ctx.param('labelSmoothing', 0) };
      const { value, grad } = tf.valueAndGrad((l: tf.Tensor) => crossEntropy(l, labels, opts) as tf.Scalar)(logits);
      ctx.expectClose('loss', value);
      if (ctx.hasExpected('gradLogits')) ctx.expectClose('gradLogits', grad);
    }),

  klDivergence: (ctx) =>
    run(ctx, () => {
      const p = ctx.input('pLogits');
      const reduction = ctx.param<'batchmean' | 'mean' | 'sum' | 'none'>('reduction', 'batchmean');
      const { value, grad } = tf.valueAndGrad((q: tf.Tensor) => klDivergence(p, q, { reduction }) as tf.Scalar)(ctx.input('qLogits'));
      ctx.expectClose('loss', value);
      if (ctx.hasExpected('gradQLogits')) ctx.expectClose('gradQLogits', grad);
    }),

  softmaxMse: (ctx) => run(ctx, () => ctx.expectClose('loss', softmaxMse(ctx.input('a'), ctx.input('b')))),

  entropy: (ctx) =>
    run(ctx, () => {
      const { loss, perPosition } = entropy(ctx.input('logits'));
      ctx.expectClose('loss', loss);
      if (ctx.hasExpected('perPosition')) ctx.expectClose('perPosition', perPosition);
    }),

  resizeBilinear: (ctx) =>
    run(ctx, () => {
      const alignCorners = ctx.param<boolean>('alignCorners', false);
      const halfPixel = ctx.param<boolean>('halfPixelCenters', !alignCorners);
      if (halfPixel === alignCorners) throw new Error(`golden ${ctx.goldenCase.name}: halfPixelCenters must be !alignCorners (PyTorch semantics)`);
      const out = resizeBilinear(ctx.input('images'), [ctx.param('outHeight'), ctx.param('outWidth')], { alignCorners });
      ctx.expectClose('out', out);
    }),

  pixelShuffle: (ctx) => run(ctx, () => ctx.expectClose('out', pixelShuffle(ctx.input('x'), ctx.param('upscale')))),

  layerNorm: (ctx) =>
    run(ctx, () => {
      const x = ctx.input('x');
      const d = x.shape[x.rank - 1]!;
      const ln = new LayerNorm(d, { eps: ctx.param('eps', 1e-5) });
      try {
        ln.loadStateDict({ weight: ctx.input('gamma'), bias: ctx.input('beta') });
        ctx.expectClose('out', ln.forward(x));
      } finally {
        ln.dispose();
      }
    }),

  batchNorm2dTrain: (ctx) =>
    run(ctx, () => {
      const bn = loadBatchNorm(ctx, ctx.param('eps', 1e-5), ctx.param('momentum', 0.1));
      try {
        bn.train();
        ctx.expectClose('out', bn.forward(ctx.input('x')));
        ctx.expectClose('newRunningMean', bn.runningMean);
        ctx.expectClose('newRunningVar', bn.runningVar);
      } finally {
        bn.dispose();
      }
    }),

  batchNorm2dEval: async (ctx) => {
    const bn = loadBatchNorm(ctx, ctx.param('eps', 1e-5), ctx.param('momentum', 0.1));
    try {
      bn.eval();
      const mean0 = Array.from(await bn.runningMean.data());
      await run(ctx, () => ctx.expectClose('out', bn.forward(ctx.input('x'))));
      // Evaluation must not touch the running statistics.
      if (!tf.util.arraysEqual(mean0, Array.from(await bn.runningMean.data()))) {
        throw new Error(`golden ${ctx.goldenCase.name}: eval forward changed running_mean`);
      }
    } finally {
      bn.dispose();
    }
  },

  conv2dDilated: (ctx) =>
    run(ctx, () => {
      const kernel = ctx.input('kernel');
      const [kh, kw, cin, cout] = kernel.shape as [number, number, number, number];
      const padding = ctx.param<number | 'same'>('padding', 0);
      const conv = new Conv2d(cin, cout, [kh, kw], { stride: ctx.param('stride', 1), dilation: ctx.param('dilation', 1), padding });
      try {
        conv.loadStateDict({ weight: kernel, bias: ctx.input('bias') });
        ctx.expectClose('out', conv.forward(ctx.input('x')));
      } finally {
        conv.dispose();
      }
    }),
};
