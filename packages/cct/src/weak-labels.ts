import * as tf from '@tensorflow/tfjs-core';
import { Conv2d, Module, binaryCrossEntropyWithLogits, readAll, scoped, type Rng, type TensorModule } from '@lel/core';

/**
 * A classifier for image-level labels whose class activation maps (CAMs) seed the pseudo-labels of the
 * weak-label variant (the official pseudo_labels/ pipeline, from jiwoon-ahn/irn): encoder → global average
 * pooling → 1×1 conv to the C − 1 foreground classes (no bias), trained with multi-label sigmoid BCE.
 * The CAM of class c is ReLU(conv(features))_c, the classifier applied before pooling.
 */
export class CamClassifier extends Module {
  readonly classifier: Conv2d;

  constructor(
    readonly encoder: TensorModule & { readonly outChannels: number },
    readonly numClasses: number,
    rng?: Rng,
  ) {
    super();
    this.registerModule('encoder', encoder);
    this.classifier = this.registerModule('classifier', new Conv2d(encoder.outChannels, numClasses - 1, 1, { bias: false, rng }));
  }

  /** Image-level logits [B, C − 1] (foreground classes 1..C−1). */
  forward(x: tf.Tensor4D): tf.Tensor2D {
    return scoped('CamClassifier.forward', () => {
      const f = this.encoder.forward(x) as tf.Tensor4D;
      return tf.squeeze(this.classifier.forward(tf.mean(f, [1, 2], true)), [1, 2]) as tf.Tensor2D;
    });
  }

  /** Raw CAMs [B, h, w, C − 1] at feature resolution: ReLU(classifier(features)). */
  cams(x: tf.Tensor4D): tf.Tensor4D {
    return scoped('CamClassifier.cams', () => tf.relu(this.classifier.forward(this.encoder.forward(x))) as tf.Tensor4D);
  }
}

/**
 * Image-level multi-hot targets [B, C − 1] from segmentation masks: class c ≥ 1 present (255 and values outside
 * [0, C) ignored). Computed on the device (it runs inside the CAM classifier's training step).
 */
export function imageLevelLabels(masks: tf.Tensor3D, numClasses: number, ignoreIndex = 255): tf.Tensor2D {
  const [b, h, w] = masks.shape;
  return scoped('imageLevelLabels', () => {
    const m = tf.reshape(tf.cast(masks, 'int32'), [b, h * w]);
    const valid = tf.logicalAnd(tf.logicalAnd(tf.greater(m, 0), tf.less(m, numClasses)), tf.notEqual(m, ignoreIndex));
    const hot = tf.mul(tf.oneHot(tf.where(valid, m, tf.zerosLike(m)), numClasses), tf.expandDims(tf.cast(valid, 'int32'), 2));
    return tf.cast(tf.slice(tf.max(hot, 1), [0, 1], [b, numClasses - 1]), 'float32') as tf.Tensor2D;
  });
}

/** Multi-label BCE of the classifier (mean over classes and images), the CAM network's training loss. */
export function multiLabelBCE(logits: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
  return binaryCrossEntropyWithLogits(logits, targets, { reduction: 'mean' }) as tf.Scalar;
}

/** Options of {@link camsForImages}. */
export interface CamOptions {
  /** Scales at which CAMs are computed and summed. Official (1.0, 0.5, 1.5, 2.0) [pseudo_labels/make_cam.py]. */
  scales?: number[];
  /** Also add the CAMs of the flipped image (as IRN). Default true. */
  flip?: boolean;
}

/**
 * Normalised CAMs [B, H, W, C − 1] at image resolution: summed over scales (and flips), ReLU'd, each
 * class map of each image divided by its max (+1e-5), and zeroed for classes absent from `imageLabels`
 * (the official code keeps only the image's ground-truth classes).
 */
export function camsForImages(model: CamClassifier, images: tf.Tensor4D, imageLabels: tf.Tensor2D, options: CamOptions = {}): tf.Tensor4D {
  const scales = options.scales ?? [1.0, 0.5, 1.5, 2.0];
  const flip = options.flip ?? true;
  const [, H, W] = images.shape;
  return scoped('camsForImages', () => {
    const parts: tf.Tensor4D[] = [];
    for (const s of scales) {
      const hs = Math.max(8, Math.round(H * s));
      const ws = Math.max(8, Math.round(W * s));
      const x = s === 1 ? images : tf.image.resizeBilinear(images, [hs, ws], false, true);
      const views = flip ? [x, tf.reverse(x, 2)] : [x];
      views.forEach((v, i) => {
        let c = model.cams(v as tf.Tensor4D);
        if (i === 1) c = tf.reverse(c, 2) as tf.Tensor4D;
        parts.push(tf.image.resizeBilinear(c, [H, W], false, true));
      });
    }
    const cam = tf.relu(tf.addN(parts));
    const max = tf.max(cam, [1, 2], true);
    const present = tf.reshape(imageLabels, [imageLabels.shape[0], 1, 1, imageLabels.shape[1]]);
    return tf.mul(tf.div(cam, tf.add(max, 1e-5)), present) as tf.Tensor4D;
  });
}

/** Options of {@link camsToPseudoLabels}. */
export interface PseudoLabelOptions {
  /** Background score for the confident-foreground map. Official `conf_fg_thres` 0.30. */
  fgThreshold?: number;
  /** Background score for the confident-background map. Official `conf_bg_thres` 0.05. */
  bgThreshold?: number;
  ignoreIndex?: number;
  /**
   * Refinement of each argmax map by a windowed dense-CRF mean field on the image (replaces pydensecrf, see
   * {@link crfRefineLabels}); `false` keeps the raw argmax maps.
   */
  crf?: false | CrfOptions;
}

/**
 * Pseudo-labels from normalised CAMs (the official cam_to_pseudo_labels.py): fg = argmax over
 * [0.30, CAMs], bg = argmax over [0.05, CAMs] (each optionally CRF-refined on the image); label = fg's class
 * where fg ≠ 0, 0 where both maps say background, `ignoreIndex` (uncertain) otherwise.
 * `images` (for the CRF) are [B, H, W, 3] with values in [0, 1]. The maps are built on the host (the CRF is
 * sequential): the CAMs and images are read back asynchronously.
 */
export async function camsToPseudoLabels(cams: tf.Tensor4D, images: tf.Tensor4D | null, options: PseudoLabelOptions = {}): Promise<tf.Tensor3D> {
  const fgT = options.fgThreshold ?? 0.3;
  const bgT = options.bgThreshold ?? 0.05;
  const ignore = options.ignoreIndex ?? 255;
  const crf = options.crf ?? {};
  const [B, H, W, K] = cams.shape;
  const read = await readAll(crf && images ? [cams, images] : [cams]);
  const c = read[0]!;
  const img = read[1] ?? null;
  const out = new Int32Array(B * H * W);
  for (let b = 0; b < B; b++) {
    const argmaxWith = (t: number): Int32Array => {
      const lab = new Int32Array(H * W);
      for (let p = 0; p < H * W; p++) {
        let best = 0;
        let bestV = t;
        for (let k = 0; k < K; k++) {
          const v = c[(b * H * W + p) * K + k]!;
          if (v > bestV) {
            bestV = v;
            best = k + 1;
          }
        }
        lab[p] = best;
      }
      return lab;
    };
    let fg = argmaxWith(fgT);
    let bg = argmaxWith(bgT);
    if (crf && img) {
      const im = img.subarray(b * H * W * 3, (b + 1) * H * W * 3);
      fg = crfRefineLabels(fg, im, H, W, K + 1, crf);
      bg = crfRefineLabels(bg, im, H, W, K + 1, crf);
    }
    for (let p = 0; p < H * W; p++) {
      const f = fg[p]!;
      const g = bg[p]!;
      out[b * H * W + p] = f !== 0 ? f : g === 0 ? 0 : ignore;
    }
  }
  return tf.tensor3d(out, [B, H, W], 'int32');
}

/** Options of {@link crfRefineLabels}; defaults from IRN's `crf_inference_label` (imutils.py). */
export interface CrfOptions {
  /** Mean-field iterations (IRN t = 10). */
  iterations?: number;
  /** Probability given to the input label in the unary (IRN gt_prob 0.7). */
  gtProb?: number;
  /** Smoothness kernel: spatial σ in pixels and weight (IRN sxy 3, compat 3). */
  sxyGaussian?: number;
  compatGaussian?: number;
  /** Appearance kernel: spatial σ (IRN sxy 50), colour σ on a 0–255 scale (srgb 5), weight (compat 10). */
  sxyBilateral?: number;
  srgb?: number;
  compatBilateral?: number;
  /** Window radius of the message passing (dense CRF uses the whole image). Default 6. */
  radius?: number;
}

/**
 * Refine a label map with a mean-field dense CRF (Potts model, Gaussian + bilateral kernels, unary from
 * the labels) whose messages are truncated to a (2r+1)² window: the replacement for pydensecrf's
 * `DenseCRF2D`, which has no JavaScript port. On small images with r ≥ the object size it is close to
 * the full dense CRF; on large ones the long-range appearance term is cut at the window. Image in [0, 1].
 */
export function crfRefineLabels(labels: Int32Array, image: ArrayLike<number>, H: number, W: number, nLabels: number, options: CrfOptions = {}): Int32Array {
  const iters = options.iterations ?? 10;
  const gt = options.gtProb ?? 0.7;
  const sg = options.sxyGaussian ?? 3;
  const wg = options.compatGaussian ?? 3;
  const sb = options.sxyBilateral ?? 50;
  const sc = (options.srgb ?? 5) / 255;
  const wb = options.compatBilateral ?? 10;
  const r = options.radius ?? 6;
  const N = H * W;
  const unary = new Float32Array(N * nLabels);
  const uSure = -Math.log(gt);
  const uOther = -Math.log((1 - gt) / Math.max(nLabels - 1, 1));
  for (let p = 0; p < N; p++) for (let k = 0; k < nLabels; k++) unary[p * nLabels + k] = labels[p] === k ? uSure : uOther;
  let q = softmaxNeg(unary, N, nLabels);
  for (let it = 0; it < iters; it++) {
    const energy = new Float32Array(unary);
    for (let y = 0; y < H; y++)
      for (let x = 0; x < W; x++) {
        const i = y * W + x;
        const msg = new Float32Array(nLabels);
        for (let dy = -r; dy <= r; dy++) {
          const yy = y + dy;
          if (yy < 0 || yy >= H) continue;
          for (let dx = -r; dx <= r; dx++) {
            const xx = x + dx;
            if (xx < 0 || xx >= W || (dx === 0 && dy === 0)) continue;
            const j = yy * W + xx;
            const d2 = dx * dx + dy * dy;
            let c2 = 0;
            for (let ch = 0; ch < 3; ch++) {
              const dc = image[i * 3 + ch]! - image[j * 3 + ch]!;
              c2 += dc * dc;
            }
            const k = wg * Math.exp(-d2 / (2 * sg * sg)) + wb * Math.exp(-d2 / (2 * sb * sb) - c2 / (2 * sc * sc));
            for (let l = 0; l < nLabels; l++) msg[l] = msg[l]! + k * q[j * nLabels + l]!;
          }
        }
        // Potts compatibility: a neighbour's mass on label l lowers the energy of l at i.
        for (let l = 0; l < nLabels; l++) energy[i * nLabels + l] = energy[i * nLabels + l]! - msg[l]!;
      }
    q = softmaxNeg(energy, N, nLabels);
  }
  const out = new Int32Array(N);
  for (let p = 0; p < N; p++) {
    let best = 0;
    for (let l = 1; l < nLabels; l++) if (q[p * nLabels + l]! > q[p * nLabels + best]!) best = l;
    out[p] = best;
  }
  return out;
}

function softmaxNeg(energy: Float32Array, n: number, k: number): Float32Array {
  const q = new Float32Array(n * k);
  for (let p = 0; p < n; p++) {
    let m = Infinity;
    for (let l = 0; l < k; l++) m = Math.min(m, energy[p * k + l]!);
    let s = 0;
    for (let l = 0; l < k; l++) {
      const e = Math.exp(-(energy[p * k + l]! - m));
      q[p * k + l] = e;
      s += e;
    }
    for (let l = 0; l < k; l++) q[p * k + l]! /= s;
  }
  return q;
}
