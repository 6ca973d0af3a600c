// One arm of the SCL demo in a Web Worker: SCL pre-training (`runMethod(scl, …)`) on the base glyphs, CE + the
// spatial contrastive loss (arm `scl`) or CE alone (arm `ce`, the same network, views and schedule), scored after
// every epoch on 5-way episodes of the novel glyphs (never trained on): features of the frozen network, a logistic
// regression per episode on the support images (SCL's probe), accuracy on the queries.
import * as tf from '@tensorflow/tfjs-core';
import { EpisodeSampler, runMethod } from '@lel/core';
import { classifyEpisode, episodeAccuracyCI, imageAt, plainView, scl, stackImages, type SclModel } from '@lel/scl';
import { startBackend } from './backend';
import { sclConfig, EVAL_QUERIES, EVAL_WAYS } from './scl-config';
import type { SclTrainRequest, SclWorkerMessage, ShownEpisode } from './scl-protocol';
import { errorText, safetensorsOf, stepReporter } from './weights';

const post = (m: SclWorkerMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

/** Pooled features [n, D] of every image (eval mode, batches of 100), read asynchronously. */
async function pooledFeatures(model: SclModel, data: SclTrainRequest['novel']): Promise<{ features: Float32Array; dim: number }> {
  const was = model.training;
  model.eval();
  const parts: Float32Array[] = [];
  let dim = 0;
  try {
    for (let at = 0; at < data.n; at += 100) {
      const idx = Array.from({ length: Math.min(100, data.n - at) }, (_, i) => at + i);
      const x = stackImages(idx.map((i) => plainView(imageAt(data, i), data.height)));
      const f = tf.tidy(() => model.forward(x).features);
      x.dispose();
      dim = f.shape[1]!;
      parts.push((await f.data()) as Float32Array);
      f.dispose();
    }
  } finally {
    model.train(was);
  }
  const features = new Float32Array(data.n * dim);
  parts.reduce((at, p) => (features.set(p, at), at + p.length), 0);
  return { features, dim };
}

function rows(flat: Float32Array, dim: number, idx: readonly number[]): Float32Array {
  const out = new Float32Array(idx.length * dim);
  idx.forEach((i, r) => out.set(flat.subarray(i * dim, (i + 1) * dim), r * dim));
  return out;
}

/** Mean accuracy of `req.episodes` 5-way episodes (the same episodes at every evaluation and for both arms). */
async function episodeAccuracy(model: SclModel, req: SclTrainRequest): Promise<{ accuracy: number; ci95: number; shown: ShownEpisode }> {
  const { features, dim } = await pooledFeatures(model, req.novel);
  const sampler = new EpisodeSampler({ labels: req.novel.labels, nWay: EVAL_WAYS, kShot: req.kShot, nQuery: EVAL_QUERIES, episodes: req.episodes, seed: `playground-episodes/${req.seed}` });
  const accuracies: number[] = [];
  let shown: ShownEpisode | undefined;
  for (let e = 0; e < req.episodes; e++) {
    const ep = sampler.episode(e);
    const none = new Float32Array(0);
    const predicted = await classifyEpisode(
      { support: { global: rows(features, dim, ep.support), spatial: none }, supportLabels: ep.supportLabels, query: { global: rows(features, dim, ep.query), spatial: none }, globalDim: dim, spatialDim: 0 },
      { features: 'global', classifier: 'logreg' },
    );
    accuracies.push(predicted.filter((p, i) => p === ep.queryLabels[i]).length / predicted.length);
    shown ??= { support: ep.support, supportLabels: ep.supportLabels, query: ep.query, queryLabels: ep.queryLabels, predicted: Array.from(predicted) };
  }
  const ci = episodeAccuracyCI(accuracies);
  return { accuracy: ci.mean, ci95: ci.halfWidth, shown: shown! };
}

async function train(req: SclTrainRequest): Promise<void> {
  const backend = await startBackend(req.backend);
  post({ type: 'ready', arm: req.arm, backend: backend.name, notes: backend.notes });
  const config = sclConfig(req);
  let model: SclModel | undefined;
  tf.engine().startScope();
  try {
    const run = await runMethod(scl, config, req.base, {
      progress: 'none',
      callbacks: [
        {
          // The untrained network's score first: the start of both curves.
          async onTrainStart(ctx) {
            model = ctx.model as SclModel;
            const r = await episodeAccuracy(model, req);
            post({ type: 'eval', arm: req.arm, step: 0, epoch: 0, accuracy: r.accuracy, ci95: r.ci95, episodes: req.episodes, shown: r.shown });
          },
        },
        stepReporter((s) => post({ type: 'step', arm: req.arm, ...s })),
      ],
      // The method's own evaluation is replaced by the few-shot score on the novel glyphs, every epoch.
      evaluate: async (ctx) => {
        const r = await episodeAccuracy(model!, req);
        post({ type: 'eval', arm: req.arm, step: ctx.step, epoch: ctx.epoch + 1, accuracy: r.accuracy, ci95: r.ci95, episodes: req.episodes, shown: r.shown });
        return { episodeAccuracy: r.accuracy };
      },
      evalEvery: { epochs: 1 },
    });
    const { rng: _rng, ...options } = run.model.options;
    const { bytes } = await safetensorsOf(run.model.stateDict(), { format: 'lel-scl', options: JSON.stringify(options), arm: req.arm, config: JSON.stringify(config) });
    run.model.dispose();
    post({ type: 'done', arm: req.arm, steps: run.result.steps, weights: bytes }, [bytes.buffer]);
  } finally {
    tf.engine().endScope();
  }
}

self.onmessage = (e: MessageEvent<SclTrainRequest>) => {
  if (e.data?.type !== 'train') return;
  train(e.data).catch((err: unknown) => post({ type: 'error', arm: e.data.arm, message: errorText(err) }));
};
