import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describeGolden } from '@lel/core/testing';
import { entropyMinLoss } from './loss';

// Every case of fixtures/entropy-min.json (or of the file named by env LEL_GOLDEN), on every installed backend.
describeGolden(new URL('./fixtures/entropy-min.json', import.meta.url), {
  entropyMinLoss: async (ctx) => {
    const l = ctx.input('logitsLabeled');
    const y = ctx.inputInt('labels');
    const u = ctx.input('logitsUnlabeled');
    try {
      if (ctx.expectsError) return await ctx.expectRejects(() => tf.dispose(Object.values(entropyMinLoss(l, y, u, ctx.param('weight')))));
      const parts = entropyMinLoss(l, y, u, ctx.param('weight'));
      ctx.expectClose('total', parts.total);
      ctx.expectClose('sup', parts.sup);
      ctx.expectClose('unsup', parts.unsup);
      tf.dispose([parts.total, parts.sup, parts.unsup]);
    } finally {
      tf.dispose([l, y, u]);
    }
  },
});
