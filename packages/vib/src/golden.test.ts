import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import { describeGolden } from '@lel/core/testing';
import type { GoldenContext } from '@lel/core/testing';
import { relaxedBernoulliMask, infoLoss } from './bernoulli-mask';
import { GatedAttentionPool } from './gated-attention';
import { gaussianKl } from './gaussian-kl';
import { VibHead } from './vib-head';
import type { VibActivation } from './vib-head';
import { klWeight, vibLoss } from './vib-loss';
import type { KlAnnealing } from './vib-loss';

/** Load the case's named inputs into a module's parameters (names: module name → input name). */
function loadInto(ctx: GoldenContext, module: { loadStateDict(m: Map<string, tf.Tensor>): unknown }, names: Record<string, string>): void {
  const m = new Map(Object.entries(names).map(([param, input]) => [param, ctx.input(input)] as const));
  try {
    module.loadStateDict(m);
  } finally {
    tf.dispose([...m.values()]);
  }
}

// Every case of fixtures/vib.json (or of the file named by env LEL_GOLDEN), on every installed backend.
describeGolden(new URL('./fixtures/vib.json', import.meta.url), {
  vibHead: (ctx) => {
    const h = ctx.input('h');
    const eps = ctx.input('eps');
    const [d, k] = [h.shape[1]!, ctx.inputValue<{ shape: number[] }>('Wmu').shape[1]!];
    const c = ctx.inputValue<{ shape: number[] }>('Wcls').shape[1]!;
    const head = new VibHead(d, c, { ibDim: k, activation: ctx.param<VibActivation>('activation'), sampleSize: ctx.param('sampleSize'), dropout: 0 });
    try {
      loadInto(ctx, head, {
        'mlp.0.weight': 'W1', 'mlp.0.bias': 'b1', 'mlp.2.weight': 'W2', 'mlp.2.bias': 'b2',
        'emb2mu.weight': 'Wmu', 'emb2mu.bias': 'bmu', 'emb2std.weight': 'Wstd', 'emb2std.bias': 'bstd',
        'classifier.weight': 'Wcls', 'classifier.bias': 'bcls', mu_p: 'muP', std_p: 'stdPRaw',
      });
      tf.tidy(() => {
        head.train();
        const out = head.forward(h, { eps });
        ctx.expectClose('mu', out.mu);
        ctx.expectClose('std', out.std);
        ctx.expectClose('z', out.z);
        ctx.expectClose('sampledLogits', out.sampledLogits);
        ctx.expectClose('meanSampledLogits', out.logits);
        ctx.expectClose('priorStd', out.priorStd);
        head.eval();
        ctx.expectClose('logitsMu', head.forward(h).logits);
      });
    } finally {
      head.dispose();
      tf.dispose([h, eps]);
    }
  },
  gaussianKl: (ctx) => {
    tf.tidy(() => {
      const { kl, perSample } = gaussianKl(ctx.input('muQ'), ctx.input('stdQ'), ctx.input('muP'), ctx.input('stdP'));
      ctx.expectClose('kl', kl);
      ctx.expectClose('perSample', perSample);
    });
  },
  vibLoss: (ctx) => {
    tf.tidy(() => {
      const task = ctx.param<'classification' | 'regression'>('task');
      const labels = task === 'classification' ? ctx.inputInt('labels') : ctx.input('labels');
      const opts = { beta: ctx.param('beta'), epoch: ctx.param('epoch'), klAnnealing: ctx.param<KlAnnealing>('klAnnealing'), task };
      const parts = vibLoss({ sampledLogits: ctx.input('sampledLogits'), mu: ctx.input('mu'), std: ctx.input('std'), priorMu: ctx.input('muP'), priorStd: ctx.input('stdP') }, labels, opts);
      ctx.expectClose('taskLoss', parts.task);
      ctx.expectClose('kl', parts.kl);
      ctx.expectClose('loss', parts.total);
      ctx.expectClose('betaEff', klWeight(opts.beta, opts.epoch, opts.klAnnealing));
    });
  },
  relaxedBernoulliMask: (ctx) => {
    tf.tidy(() => {
      const u = ctx.input('u');
      if (u.shape[1] !== ctx.param('numSamples')) throw new Error(`u has ${u.shape[1]} samples, numSamples is ${ctx.param('numSamples')}`);
      const m = relaxedBernoulliMask(ctx.input('s'), u, ctx.input('h'), { temperature: ctx.param('temperature'), threshold: ctx.param('threshold') });
      ctx.expectClose('logProb', m.logProb);
      ctx.expectClose('relaxedSamples', m.relaxedSamples);
      ctx.expectClose('z', m.z);
      ctx.expectClose('mask', m.mask);
      ctx.expectClose('hMasked', m.hMasked);
    });
  },
  infoLoss: (ctx) => {
    tf.tidy(() => {
      const r = infoLoss(ctx.input('s'), ctx.param('target'));
      ctx.expectClose('meanKeep', r.meanKeep);
      ctx.expectClose('loss', r.loss);
    });
  },
  gatedAttentionPool: (ctx) => {
    const shapeOf = (name: string) => ctx.inputValue<{ shape: number[] }>(name).shape;
    const [l, dAtt] = shapeOf('Wa') as [number, number];
    const pool = new GatedAttentionPool(l, dAtt, shapeOf('Wcls')[1]!);
    try {
      loadInto(ctx, pool, {
        'attention_a.weight': 'Wa', 'attention_a.bias': 'ba', 'attention_b.weight': 'Wb', 'attention_b.bias': 'bb',
        'attention_c.weight': 'Wc', 'attention_c.bias': 'bc', 'classifier.weight': 'Wcls', 'classifier.bias': 'bcls',
      });
      tf.tidy(() => {
        const out = pool.forward(ctx.input('h'));
        ctx.expectClose('attentionRaw', out.attentionRaw);
        ctx.expectClose('attention', out.attention);
        ctx.expectClose('M', out.pooled);
        ctx.expectClose('logits', out.logits);
        ctx.expectClose('probabilities', out.probabilities);
      });
    } finally {
      pool.dispose();
    }
  },
});
