import * as tf from '@tensorflow/tfjs-core';
import { crossEntropy, scoped } from '@lel/core';
import { globalContrastiveLoss, selfSupConLoss, supConLoss } from './contrastive';
import { protoNetLogits } from './fewshot/protonet';
import type { SclModel } from './model';

/** Which terms of the SCL objective are on, and their weights (the fields of `SclConfig`). */
export interface SclLossOptions {
  lambdaCls: number;
  spatialContLoss: boolean;
  lambdaSpatial: number;
  globalContLoss: boolean;
  lambdaGlobal: number;
  selfSupervised?: boolean;
  spatialInverseTemperature?: number;
  globalInverseTemperature?: number;
  /** ProtoNet episodic term (ours): weight and episode layout of the batch (class-major, kShot then nQuery). */
  lambdaProto?: number;
  episode?: { nWay: number; kShot: number; nQuery: number } | null;
}

/** The SCL objective by named part: `total` = λ_cls·ce + λ_sp·sc + λ_gl·gc (+ λ_proto·proto). */
export type SclLossParts = { total: tf.Scalar; ce?: tf.Scalar; sc?: tf.Scalar; gc?: tf.Scalar; proto?: tf.Scalar };

/** Episode-local labels and support/query split of a class-major episodic batch. */
function episodeSplit(ep: { nWay: number; kShot: number; nQuery: number }, n: number) {
  const per = ep.kShot + ep.nQuery;
  if (ep.nWay * per !== n) throw new Error(`sclLoss: an episodic batch of ${ep.nWay}-way ${ep.kShot}-shot ${ep.nQuery}-query has ${ep.nWay * per} images, got ${n}`);
  const support: number[] = [];
  const query: number[] = [];
  const supportLabels: number[] = [];
  const queryLabels: number[] = [];
  for (let c = 0; c < ep.nWay; c++) {
    for (let j = 0; j < per; j++) {
      if (j < ep.kShot) {
        support.push(c * per + j);
        supportLabels.push(c);
      } else {
        query.push(c * per + j);
        queryLabels.push(c);
      }
    }
  }
  return { support, query, supportLabels, queryLabels };
}

/**
 * SCL's training objective on a two-view batch (train_contrastive.py): both views go through the network in one
 * forward (`x` = [view 1; view 2], 2N images), CE is the mean cross-entropy over the 2N images, SC is the
 * supervised contrastive loss on the spatial similarity of the layer-4 maps (all 2N × 2N pairs), GC the one on the
 * cosine similarity of the projected pooled features. With `selfSupervised` the contrastive terms ignore the
 * labels (positive = the other view). `labels` [N] int32 are the base-class labels of the N images.
 */
export function sclLoss(model: SclModel, x: tf.Tensor, labels: tf.Tensor, options: SclLossOptions): SclLossParts {
  if (x.rank !== 4) throw new Error(`sclLoss: x must be [2N, H, W, C] (both views), got shape [${x.shape}]`);
  const n = labels.shape[0]!;
  if (labels.rank !== 1 || x.shape[0] !== 2 * n) throw new Error(`sclLoss: x has ${x.shape[0]} images; expected 2 × ${n} (two views of each labelled image)`);
  if (options.spatialContLoss && !model.attention) throw new Error('sclLoss: spatialContLoss needs a model built with the attention head');
  if (options.globalContLoss && !model.projection) throw new Error('sclLoss: globalContLoss needs a model built with the projection head');
  const episode = options.lambdaProto ? options.episode ?? null : null;
  if (options.lambdaProto && !episode) throw new Error('sclLoss: lambdaProto > 0 needs an episode layout (episode: { nWay, kShot, nQuery })');
  const split = episode ? episodeSplit(episode, n) : null;
  return scoped('sclLoss', () => {
    const out = model.forward(x);
    const parts: Omit<SclLossParts, 'total'> = {};
    let total: tf.Tensor = tf.scalar(0);
    const y2 = tf.concat([labels, labels]);
    if (options.lambdaCls > 0) {
      parts.ce = crossEntropy(out.logits, y2) as tf.Scalar;
      total = tf.add(total, tf.mul(parts.ce, options.lambdaCls));
    }
    if (options.spatialContLoss) {
      const sim = model.attention!.forward(out.featureMap);
      const invT = { inverseTemperature: options.spatialInverseTemperature ?? 10 };
      const r = options.selfSupervised ? selfSupConLoss(sim, invT) : supConLoss(sim, labels, invT);
      parts.sc = r.loss;
      total = tf.add(total, tf.mul(r.loss, options.lambdaSpatial));
    }
    if (options.globalContLoss) {
      const proj = model.projection!.forward(out.features);
      const r = globalContrastiveLoss(proj, options.selfSupervised ? null : labels, { inverseTemperature: options.globalInverseTemperature ?? 10 });
      parts.gc = r.loss;
      total = tf.add(total, tf.mul(r.loss, options.lambdaGlobal));
    }
    if (split) {
      // Prototypes from view 1's support images, queries from view 1's query images (ours; see README).
      const f = out.features;
      const s = tf.gather(f, split.support);
      const q = tf.gather(f, split.query);
      const { logits } = protoNetLogits(s, split.supportLabels, q);
      parts.proto = crossEntropy(logits, tf.tensor1d(split.queryLabels, 'int32')) as tf.Scalar;
      total = tf.add(total, tf.mul(parts.proto, options.lambdaProto!));
    }
    return { total: total as tf.Scalar, ...parts };
  }) as SclLossParts;
}
