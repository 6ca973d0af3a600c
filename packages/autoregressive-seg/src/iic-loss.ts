import * as tf from '@tensorflow/tfjs-core';
import { scoped } from '@lel/core';

/** `sys.float_info.epsilon`, the clamp of IIC's `IID_segmentation_loss` [xu-ji/IIC code/utils/segmentation/IID_losses.py]. */
export const IIC_EPS = 2.220446049250313e-16;

/** Options of {@link iicLoss}. */
export interface IicLossOptions {
  /**
   * 'uncollapsed' (default: `IID_segmentation_loss_uncollapsed`, which every IIC segmentation run uses) normalises and
   * scores each displacement separately and averages; 'collapsed' (`IID_segmentation_loss`) sums the displacements
   * into one joint first.
   */
  form?: 'collapsed' | 'uncollapsed';
  /** Displacement half-width T: displacements t ∈ [−T, T]². Default 0 (pixel-aligned only). */
  halfT?: number;
  /** λ, weight of the marginal entropies (IIC: 1.0; 1.5 for COCO-Stuff-3 and Potsdam-3). Default 1. */
  lambda?: number;
  /** Lower clamp of the joint and marginals. Default {@link IIC_EPS}. */
  eps?: number;
}

/** What {@link iicLoss} returns (owned by the caller). */
export interface IicLossResult {
  /** The loss to minimise (negative MI for λ = 1; its minimum is −ln K). */
  loss: tf.Scalar;
  /** Normalised, symmetrised joint before clamping: [K, K] (collapsed) or [D, D, K, K] per displacement (uncollapsed, D = 2T + 1). */
  joint: tf.Tensor;
  /** Row sums of `joint` before clamping: [K] or [D, D, K]. */
  marginal: tf.Tensor;
  /** Uncollapsed only: the loss of each displacement t = (a − T, b − T), [D, D]. */
  perDisplacement?: tf.Tensor2D;
}

/**
 * Unnormalised displaced joints P̃[a, b, i, j] = Σ_{n,u} y1[n, u, i] · y2[n, u + t, j] for t = (a − T, b − T), zero
 * outside the image, as IIC's `F.conv2d(y1, weight=y2, padding=T)` (whose output index is t mirrored). Inputs are
 * NHWC [N, H, W, K]; output [D, D, K, K].
 *
 * The forward pass is one convolution whose kernel is the whole H × W map; the gradient is written by hand as two
 * convolutions with the small D × D kernel ∂L/∂P̃, because differentiating the large-kernel convolution would build
 * H·W im2col slices.
 */
export function displacedJoint(y1: tf.Tensor, y2: tf.Tensor, halfT: number): tf.Tensor4D {
  const T = halfT;
  const f = tf.customGrad((...args: unknown[]) => {
    const [a, b, save] = args as [tf.Tensor4D, tf.Tensor4D, tf.GradSaveFunc];
    save([a, b]);
    // out[j, dy, dx, i] = Σ_{n,u} y2pad[n, u + (dy, dx), j] · y1[n, u, i] = P̃ at t = (dy − T, dx − T).
    const y2T = tf.pad(tf.transpose(b, [3, 1, 2, 0]), [[0, 0], [T, T], [T, T], [0, 0]]) as tf.Tensor4D; // [K, H+2T, W+2T, N]
    const y1T = tf.transpose(a, [1, 2, 0, 3]) as tf.Tensor4D; // [H, W, N, K]
    const value = tf.transpose(tf.conv2d(y2T, y1T, 1, 'valid'), [1, 2, 3, 0]) as tf.Tensor4D; // [D, D, K(i), K(j)]
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]): tf.Tensor[] => {
      const [s1, s2] = saved as [tf.Tensor4D, tf.Tensor4D];
      const G = dy as tf.Tensor4D; // [D, D, K(i), K(j)]
      const pad = [[0, 0], [T, T], [T, T], [0, 0]] as [number, number][];
      // ∂/∂y1[n, u, i] = Σ_{t, j} G[t, i, j] · y2[n, u + t, j]: conv of padded y2 with kernel G[a, b, j, i].
      const d1 = tf.conv2d(tf.pad(s2, pad) as tf.Tensor4D, tf.transpose(G, [0, 1, 3, 2]) as tf.Tensor4D, 1, 'valid');
      // ∂/∂y2[n, v, j] = Σ_{t, i} G[t, i, j] · y1[n, v − t, i]: conv of padded y1 with G flipped in both displacement axes.
      const d2 = tf.conv2d(tf.pad(s1, pad) as tf.Tensor4D, tf.reverse(G, [0, 1]) as tf.Tensor4D, 1, 'valid');
      return [d1, d2];
    };
    return { value, gradFunc };
  });
  return f(y1, y2) as tf.Tensor4D;
}

/** −Σ_ij P_ij (ln P_ij − λ ln P_i − λ ln P_j) over the last two axes of normalised, symmetrised P [..., K, K]. */
function miTerms(p: tf.Tensor, lambda: number, eps: number): { loss: tf.Tensor; marginal: tf.Tensor } {
  const r = p.rank;
  const pi = tf.sum(p, r - 1, true); // [..., K, 1]  row sums
  const pj = tf.sum(p, r - 2, true); // [..., 1, K]  column sums
  const pc = tf.maximum(p, eps);
  const lpi = tf.log(tf.maximum(pi, eps));
  const lpj = tf.log(tf.maximum(pj, eps));
  const inner = tf.sub(tf.sub(tf.log(pc), tf.mul(lpi, lambda)), tf.mul(lpj, lambda));
  const loss = tf.neg(tf.sum(tf.mul(pc, inner), [r - 2, r - 1]));
  return { loss, marginal: tf.squeeze(pi, [r - 1]) };
}

function symmetrise(p: tf.Tensor): tf.Tensor {
  const r = p.rank;
  const perm = [...Array.from({ length: r - 2 }, (_, i) => i), r - 1, r - 2];
  return tf.div(tf.add(p, tf.transpose(p, perm)), 2);
}

/**
 * IIC's mutual-information loss between two per-pixel cluster distributions y1, y2 (NHWC [N, H, W, K], each pixel
 * a probability vector) of pixel-aligned views — here the same image under two autoregressive orderings
 * (Ouali et al., ECCV 2020, eq. 4) or two augmentations (IIC baseline). Joint P̃ over displacements |t| ≤ T
 * ({@link displacedJoint}), normalised to sum 1, symmetrised, marginals from row/column sums, P and marginals clamped
 * to ≥ eps, L = −Σ P_ij (ln P_ij − λ ln P_i − λ ln P_j). Unlike the public re-implementation, the joint is
 * normalised before the marginals are taken, so they are probabilities.
 */
export function iicLoss(y1: tf.Tensor, y2: tf.Tensor, options: IicLossOptions = {}): IicLossResult {
  const form = options.form ?? 'uncollapsed';
  const T = options.halfT ?? 0;
  const lambda = options.lambda ?? 1;
  const eps = options.eps ?? IIC_EPS;
  if (form !== 'collapsed' && form !== 'uncollapsed') throw new Error(`iicLoss: form must be 'collapsed' or 'uncollapsed', got ${JSON.stringify(form)}`);
  if (!Number.isInteger(T) || T < 0) throw new Error(`iicLoss: halfT must be a non-negative integer, got ${T}`);
  if (!(lambda >= 0) || !Number.isFinite(lambda)) throw new Error(`iicLoss: lambda must be a finite number >= 0, got ${lambda}`);
  if (!(eps > 0)) throw new Error(`iicLoss: eps must be > 0, got ${eps}`);
  if (y1.rank !== 4) throw new Error(`iicLoss: y1 must be NHWC [N, H, W, K], got shape [${y1.shape}]`);
  if (!tf.util.arraysEqual(y1.shape, y2.shape)) throw new Error(`iicLoss: y1 [${y1.shape}] and y2 [${y2.shape}] must have the same shape`);
  const [, h, w] = y1.shape as [number, number, number, number];
  // A displacement of the full height or width has no overlapping pixel: its joint would be all zeros.
  if (T >= Math.min(h, w)) throw new Error(`iicLoss: halfT ${T} must be smaller than the map size ${h} × ${w}`);
  return scoped('iicLoss', () => {
    const pt = displacedJoint(y1, y2, T); // [D, D, K, K]
    if (form === 'collapsed') {
      const p = tf.sum(pt, [0, 1]);
      const joint = symmetrise(tf.div(p, tf.sum(p)));
      const { loss, marginal } = miTerms(joint, lambda, eps);
      return { loss: loss as tf.Scalar, joint, marginal };
    }
    const D = 2 * T + 1;
    const joint = symmetrise(tf.div(pt, tf.sum(pt, [2, 3], true)));
    const { loss: per, marginal } = miTerms(joint, lambda, eps);
    const loss = tf.div(tf.sum(per), D * D) as tf.Scalar;
    return { loss, joint, marginal, perDisplacement: per as tf.Tensor2D };
  });
}
