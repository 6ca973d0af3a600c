import * as tf from '@tensorflow/tfjs-core';
import { ConfusionMatrix, hungarianMatch } from '@lel/core';

/** Options of {@link clusterCounts} and {@link hungarianPixelAccuracy}. */
export interface ClusterMatchOptions {
  /** K, the number of clusters (= the number of ground-truth classes for one-to-one matching). */
  numClusters: number;
  /** Number of ground-truth classes. Default `numClusters`. */
  numClasses?: number;
  /** Target value of pixels left out of the evaluation. Default 255. */
  ignoreIndex?: number;
}

/** Result of {@link hungarianPixelAccuracy}. */
export interface HungarianPixelAccuracy {
  /** counts[predCluster][gtClass] over the evaluated pixels. */
  counts: number[][];
  /** mapping[predCluster] = gtClass (−1 for clusters left unmatched when K > classes). */
  mapping: number[];
  /** Pixels whose mapped cluster equals the target. */
  matched: number;
  /** Evaluated pixels (target ≠ ignoreIndex). */
  numValid: number;
  /** matched / numValid (0 when no pixel is evaluated). */
  accuracy: number;
}

function toInts(v: ArrayLike<number>, what: string): ArrayLike<number> {
  // Host-side counting: a tensor must be read first (a synchronous read throws on webgpu and stalls GPU queues).
  if ((v as unknown) instanceof tf.Tensor) throw new Error(`clusterCounts: "${what}" is a tensor; read it first with \`await readValues(t)\` (@lel/core)`);
  return v;
}

/**
 * counts[predCluster][gtClass] over the pixels whose target is not `ignoreIndex` (IIC's `_original_match`
 * num_correct matrix [code/utils/cluster/eval_metrics.py]). `pred` and `target` have the same number of elements
 * (host arrays, e.g. flattened [N, H, W] maps).
 */
export function clusterCounts(pred: ArrayLike<number>, target: ArrayLike<number>, options: ClusterMatchOptions): { counts: number[][]; numValid: number } {
  const K = options.numClusters;
  const C = options.numClasses ?? K;
  const ignore = options.ignoreIndex ?? 255;
  if (!Number.isInteger(K) || K < 1) throw new Error(`clusterCounts: numClusters must be a positive integer, got ${K}`);
  if (!Number.isInteger(C) || C < 1) throw new Error(`clusterCounts: numClasses must be a positive integer, got ${C}`);
  const p = toInts(pred, 'pred');
  const t = toInts(target, 'target');
  if (p.length !== t.length) throw new Error(`clusterCounts: pred has ${p.length} elements, target has ${t.length}`);
  const counts = Array.from({ length: K }, () => new Array<number>(C).fill(0));
  let numValid = 0;
  for (let i = 0; i < p.length; i++) {
    const y = t[i]!;
    if (y === ignore) continue;
    const c = p[i]!;
    if (!Number.isInteger(c) || c < 0 || c >= K) throw new Error(`clusterCounts: pred[${i}] = ${c} is not a cluster in [0, ${K})`);
    if (!Number.isInteger(y) || y < 0 || y >= C) throw new Error(`clusterCounts: target[${i}] = ${y} is not a class in [0, ${C}) nor ignoreIndex ${ignore}`);
    counts[c]![y]! += 1;
    numValid++;
  }
  return { counts, numValid };
}

/**
 * Unsupervised-segmentation pixel accuracy (IIC's evaluation, used by Ouali et al.): count cluster/class
 * co-occurrences, match clusters to classes one-to-one with the Hungarian algorithm (maximum matched pixels, as
 * `linear_assignment(numValid − counts)`), accuracy = matched / numValid.
 */
export function hungarianPixelAccuracy(pred: ArrayLike<number>, target: ArrayLike<number>, options: ClusterMatchOptions): HungarianPixelAccuracy {
  const { counts, numValid } = clusterCounts(pred, target, options);
  const { mapping, matched } = hungarianMatch(counts);
  return { counts, mapping, matched, numValid, accuracy: numValid === 0 ? 0 : matched / numValid };
}

/** Maps each cluster id of `pred` through `mapping` (unmatched clusters → `unmatched`, default −1). */
export function remapClusters(pred: ArrayLike<number>, mapping: readonly number[], unmatched = -1): Int32Array {
  const out = new Int32Array(pred.length);
  for (let i = 0; i < pred.length; i++) out[i] = mapping[pred[i]!] ?? unmatched;
  return out;
}

/** Pixel accuracy and mIoU of a Hungarian-matched cluster map. */
export interface MatchedSegmentationScores extends HungarianPixelAccuracy {
  /** mIoU over the classes (CCT's convention: I/(U + eps) per class, averaged over all classes). */
  miou: number;
  perClassIoU: number[];
}

/** {@link hungarianPixelAccuracy} plus the mIoU of the remapped map (pixels of unmatched clusters count as errors). */
export function scoreClusters(pred: ArrayLike<number>, target: ArrayLike<number>, options: ClusterMatchOptions): MatchedSegmentationScores {
  const res = hungarianPixelAccuracy(pred, target, options);
  const C = options.numClasses ?? options.numClusters;
  const ignore = options.ignoreIndex ?? 255;
  // Unmatched clusters (K > C) are mapped to an extra "none" class C so they count as false negatives only.
  const mapped = remapClusters(pred, res.mapping, C);
  const cm = new ConfusionMatrix(C + 1, { ignoreIndex: ignore });
  cm.add(mapped, target);
  const iou = cm.perClassIoU().slice(0, C);
  return { ...res, miou: iou.reduce((a, b) => a + b, 0) / C, perClassIoU: iou };
}
