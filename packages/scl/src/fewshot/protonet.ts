import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '@lel/core';
import { toLabels } from './matrix';

/** Output of {@link protoNetLogits}; the caller disposes `logits`. */
export interface ProtoNetLogits {
  /** −‖x_q − prototype_c‖² [Q, K]; column k is class `classes[k]`. */
  logits: tf.Tensor2D;
  /** Sorted distinct support labels. */
  classes: number[];
}

/**
 * Prototypical-network logits (Snell et al. 2017; the `Proto()` helper of the SCL repository, which the official
 * code never uses): prototype_c = mean of the support features labelled c (classes in ascending label order, no
 * normalisation), logits[q, c] = −‖x_q − prototype_c‖². Differentiable in both feature tensors, so it serves the
 * episodic training option as well as evaluation.
 *
 * @param support [N·K, D] features; @param supportLabels their labels (a host array); @param query [Q, D].
 */
export function protoNetLogits(support: tf.Tensor, supportLabels: ArrayLike<number>, query: tf.Tensor): ProtoNetLogits {
  const fn = 'protoNetLogits';
  if (support.rank !== 2) throw new Error(`${fn}: support must be [S, D], got shape [${support.shape}]`);
  if (query.rank !== 2) throw new Error(`${fn}: query must be [Q, D], got shape [${query.shape}]`);
  if (support.shape[1] !== query.shape[1]) throw new Error(`${fn}: support has ${support.shape[1]} features, query has ${query.shape[1]}`);
  const labels = toLabels(fn, 'supportLabels', supportLabels, support.shape[0]!);
  const classes = [...new Set(labels)].sort((a, b) => a - b);
  if (classes.length === 0) throw new Error(`${fn}: support is empty`);
  const k = classes.length;
  const s = labels.length;
  // Averaging matrix [K, S]: row c holds 1/|S_c| at the support items of class c.
  const avg = new Float32Array(k * s);
  classes.forEach((c, ci) => {
    const members = labels.flatMap((y, i) => (y === c ? [i] : []));
    for (const i of members) avg[ci * s + i] = 1 / members.length;
  });
  const logits = scoped(fn, () => {
    const prototypes = tf.matMul(tf.tensor2d(avg, [k, s]), support);
    const diff = tf.sub(tf.expandDims(query, 1), tf.expandDims(prototypes, 0));
    return tf.neg(tf.sum(tf.square(diff), -1)) as tf.Tensor2D;
  });
  return { logits, classes };
}
