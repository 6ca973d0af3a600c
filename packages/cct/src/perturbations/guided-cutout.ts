import * as tf from '@tensorflow/tfjs-core';
import { globalRng, isHostMemoryBackend, scoped, type Rng } from '@lel/core';
import { nearestIndices } from './masks';

/** A connected foreground component, with inclusive extremes. */
export interface Component {
  r0: number;
  r1: number;
  c0: number;
  c1: number;
  /** Number of pixels. */
  size: number;
}

/**
 * Connected components of a binary H×W image (row-major), in raster order of their first pixel.
 * Replaces OpenCV's `findContours(RETR_EXTERNAL)`, which the official code uses only for the bounding
 * boxes of the outer contours: a component's bounding box is its outer contour's.
 */
export function connectedComponents(fg: ArrayLike<number>, height: number, width: number, connectivity: 4 | 8 = 8): Component[] {
  const seen = new Uint8Array(height * width);
  const out: Component[] = [];
  const stack: number[] = [];
  for (let start = 0; start < height * width; start++) {
    if (!fg[start] || seen[start]) continue;
    const comp: Component = { r0: height, r1: -1, c0: width, c1: -1, size: 0 };
    seen[start] = 1;
    stack.push(start);
    while (stack.length > 0) {
      const i = stack.pop()!;
      const r = Math.floor(i / width);
      const c = i - r * width;
      comp.size++;
      if (r < comp.r0) comp.r0 = r;
      if (r > comp.r1) comp.r1 = r;
      if (c < comp.c0) comp.c0 = c;
      if (c > comp.c1) comp.c1 = c;
      for (let dr = -1; dr <= 1; dr++) {
        for (let dc = -1; dc <= 1; dc++) {
          if ((dr === 0 && dc === 0) || (connectivity === 4 && dr !== 0 && dc !== 0)) continue;
          const rr = r + dr;
          const cc = c + dc;
          if (rr < 0 || rr >= height || cc < 0 || cc >= width) continue;
          const j = rr * width + cc;
          if (fg[j] && !seen[j]) {
            seen[j] = 1;
            stack.push(j);
          }
        }
      }
    }
    out.push(comp);
  }
  return out;
}

/**
 * Values of `t` on a host-memory backend (cpu, wasm), where they already live in memory. G-Cutout's object search
 * is sequential host code that runs inside the synchronous autodiff closure of CCT's training step, so it cannot
 * await a device read: on a GPU backend the caller passes the labels it read before the step (`labels`), and
 * anything else is a clear error instead of a queue stall (webgpu in Node cannot read synchronously at all). The
 * official code does the same search on the host (OpenCV findContours).
 */
function hostValues(t: tf.Tensor, what: string): ArrayLike<number> {
  if (!isHostMemoryBackend()) {
    throw new Error(
      `guidedCutout: ${what} must be read on the host inside the training step, which the ${tf.getBackend()} backend cannot do synchronously; ` +
        `pass options.labels (the main prediction's argmax, read with await before the step, e.g. CctModel.mainLabels; the cct method does this) ` +
        `or train on cpu or wasm`,
    );
  }
  // eslint-disable-next-line no-restricted-properties -- host-memory backend: a copy of values already in memory, no device to stall
  return t.dataSync();
}

/** Options of {@link guidedCutout}. */
export interface GuidedCutoutOptions {
  /** Fraction of each bounding box side that is erased. Official `erase` 0.4 [models/decoders.py CutOutDecoder]. */
  erase?: number;
  /**
   * Components smaller than this (pixels) are ignored. The official code keeps contours with more
   * than 50 points (`c.shape[0] > 50`); default 50 pixels. Lower it for small images.
   */
  minPixels?: number;
  connectivity?: 4 | 8;
  /**
   * The main prediction's classes (its argmax over the last axis) on the host, [B·H·W] row-major, read before the
   * gradient step. Required on GPU backends (the search cannot read the device inside the step); on cpu and wasm
   * it is read from `mainLogits` when absent.
   */
  labels?: ArrayLike<number>;
  /**
   * Box offsets (oy, ox) per image and kept component, [B, K, 2] (given in tests; K ≥ the largest
   * count of kept components), as a tensor (read on the host: cpu and wasm only) or nested arrays (any backend).
   * Drawn as the official `random.randint(0, int(b·(1−erase)))` otherwise.
   */
  offsets?: tf.Tensor | number[][][];
  rng?: Rng;
}

/** Intermediates of G-Cutout. */
export interface GuidedCutoutParts {
  /** Kept components per image. */
  numComponents: number[];
  /** Erased boxes per image, (rowStart, rowEnd, colStart, colEnd), half-open. */
  boxes: [number, number, number, number][][];
  /** The cut mask at the prediction's resolution, [B, H, W]. */
  cutMaskFull: tf.Tensor3D;
  /** The cut mask at the feature resolution, [B, h, w]. */
  mask: tf.Tensor3D;
  out: tf.Tensor4D;
}

/** G-Cutout with every intermediate; see {@link guidedCutout}. The caller disposes the tensors. */
export function guidedCutoutParts(z: tf.Tensor4D, mainLogits: tf.Tensor4D, options: GuidedCutoutOptions = {}): GuidedCutoutParts {
  const erase = options.erase ?? 0.4;
  const minPixels = options.minPixels ?? 50;
  const connectivity = options.connectivity ?? 8;
  if (!(erase > 0 && erase < 1)) throw new Error(`guidedCutout: erase must be in (0, 1), got ${erase}`);
  const [B, H, W] = mainLogits.shape;
  const [zb, h, w] = z.shape;
  if (zb !== B) throw new Error(`guidedCutout: z has batch ${zb} but the main prediction has ${B}`);
  // Host side: the component search is sequential. The prediction is small (B·H·W labels).
  let labels: ArrayLike<number>;
  if (options.labels) {
    labels = options.labels;
    if (labels.length !== B * H * W) throw new Error(`guidedCutout: labels has ${labels.length} values but the main prediction [${mainLogits.shape}] has B·H·W = ${B * H * W}`);
  } else {
    const argmax = tf.tidy(() => tf.argMax(mainLogits, 3));
    try {
      labels = hostValues(argmax, 'the main prediction');
    } finally {
      argmax.dispose();
    }
  }
  let offsets: ArrayLike<number> | null = null;
  let maxK = 0;
  if (options.offsets) {
    const given = options.offsets;
    const s = given instanceof tf.Tensor ? given.shape : [given.length, given[0]?.length ?? 0, given[0]?.[0]?.length ?? 0];
    const ragged = !(given instanceof tf.Tensor) && given.some((img) => img.length !== s[1] || img.some((o) => o.length !== 2));
    if (s.length !== 3 || s[0] !== B || s[2] !== 2 || ragged) throw new Error(`guidedCutout: offsets must be [B=${B}, K, 2], got ${ragged ? 'ragged arrays' : `[${s}]`}`);
    offsets = given instanceof tf.Tensor ? hostValues(given, 'offsets') : given.flat(2);
    maxK = s[1]!;
  }
  const rng = options.rng ?? globalRng();
  const cut = new Float32Array(B * H * W).fill(1);
  const numComponents: number[] = [];
  const boxes: [number, number, number, number][][] = [];
  for (let b = 0; b < B; b++) {
    const fg = new Uint8Array(H * W);
    for (let i = 0; i < H * W; i++) fg[i] = labels[b * H * W + i]! > 0 ? 1 : 0;
    const kept = connectedComponents(fg, H, W, connectivity).filter((c) => c.size >= minPixels);
    numComponents.push(kept.length);
    const imageBoxes: [number, number, number, number][] = [];
    kept.forEach((comp, k) => {
      // As the official code: bounding-box sides without +1, offsets randint(0, int(side·(1−erase))).
      const bh = comp.r1 - comp.r0;
      const bw = comp.c1 - comp.c0;
      const maxOy = Math.floor(bh * (1 - erase));
      const maxOx = Math.floor(bw * (1 - erase));
      let oy: number;
      let ox: number;
      if (offsets) {
        if (k >= maxK) throw new Error(`guidedCutout: image ${b} has ${kept.length} components but offsets give ${maxK}`);
        oy = offsets[(b * maxK + k) * 2]!;
        ox = offsets[(b * maxK + k) * 2 + 1]!;
        if (oy < 0 || oy > maxOy || ox < 0 || ox > maxOx) {
          throw new Error(`guidedCutout: offset (${oy}, ${ox}) of image ${b} component ${k} outside [0, ${maxOy}]×[0, ${maxOx}]`);
        }
      } else {
        oy = rng.int(maxOy + 1);
        ox = rng.int(maxOx + 1);
      }
      const rs = comp.r0 + oy;
      const re = rs + Math.floor(bh * erase);
      const cs = comp.c0 + ox;
      const ce = cs + Math.floor(bw * erase);
      imageBoxes.push([rs, re, cs, ce]);
      for (let r = rs; r < Math.min(re, H); r++) for (let c = cs; c < Math.min(ce, W); c++) cut[b * H * W + r * W + c] = 0;
    });
    boxes.push(imageBoxes);
  }
  const rows = nearestIndices(H, h);
  const cols = nearestIndices(W, w);
  const small = new Float32Array(B * h * w);
  for (let b = 0; b < B; b++)
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) small[(b * h + y) * w + x] = cut[b * H * W + rows[y]! * W + cols[x]!]!;
  const cutMaskFull = tf.tensor3d(cut, [B, H, W]);
  const mask = tf.tensor3d(small, [B, h, w]);
  const out = scoped('guidedCutout', () => tf.mul(z, tf.expandDims(mask, 3)) as tf.Tensor4D);
  return { numComponents, boxes, cutMaskFull, mask, out };
}

/**
 * G-Cutout (`CutOutDecoder`): for every foreground object of the main prediction (connected
 * components of argmax > 0 with at least `minPixels` pixels), zero a random box of 0.4 × its bounding
 * box in the features. No foreground → z unchanged.
 */
export function guidedCutout(z: tf.Tensor4D, mainLogits: tf.Tensor4D, options: GuidedCutoutOptions = {}): tf.Tensor4D {
  const { cutMaskFull, mask, out } = guidedCutoutParts(z, mainLogits, options);
  tf.dispose([cutMaskFull, mask]);
  return out;
}
