import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { BatchNorm2d, ConfusionMatrix, Module, Rng, relu, scoped } from '@lel/core';
import { CctModel, SmallConvEncoder, predictLogits, type CctConfigInput, type SegmentationSet } from '@lel/cct';
import { loadArEncoder, type ArEncoder } from '@lel/autoregressive-seg';
import { labeledUnlabeledSplit } from '@lel/datasets';
import { encodePalettePng, encodePng, makeDigitScenes, readImage, vocPalette } from '@lel/datasets/node';
import type { EvalResult, PredictRequest, Prediction } from './types';

/** The embedded digit-scene segmentation data (`@lel/datasets` `makeDigitScenes`): 10 digit classes + background. */
export const SegData = z
  .object({
    /** Training scenes (labelled + unlabelled). */
    scenes: z.number().int().min(4).default(64),
    /** Validation (dev) scenes, drawn from the digit images held out of training: they pick the best checkpoint. */
    valScenes: z.number().int().min(1).default(16),
    /** Test scenes the run reports, other scenes of the held-out digit images (never used for selection). */
    testScenes: z.number().int().min(1).default(16),
    /** Side of the square scenes in pixels (a multiple of the encoder's output stride). */
    size: z.number().int().min(16).default(32),
    variant: z.enum(['easy', 'hard']).default('easy'),
    /** Fraction of the training scenes whose masks are used (1/8 = the CCT paper's sparsest VOC split ratio). */
    labelledFraction: z.number().gt(0).max(1).default(0.125),
    /** Seed of the scenes and of the labelled split. */
    seed: z.number().int().min(0).default(0),
  })
  .strict()
  .prefault({});
export type SegData = z.output<typeof SegData>;

/** The segmentation network's encoder (`@lel/cct` SmallConvEncoder). */
export const SegModel = z
  .object({
    /** Channels of the encoder stages. */
    widths: z.array(z.number().int().min(1)).min(1).default([16, 32]),
    /**
     * Output stride (a power of two ≤ 2^stages; later stages dilate instead of striding). Default 2: digit strokes
     * are 2–3 px wide, so stride 8 caps the reachable mIoU at 17.5% on 32 px scenes (@lel/cct bench/oracle.ts).
     */
    outputStride: z.number().int().min(1).default(2),
    batchNorm: z.boolean().default(true),
  })
  .strict()
  .prefault({});
export type SegModel = z.output<typeof SegModel>;

/** Tensors of a run's data (dispose with {@link disposeSegSets}). */
export interface SegSets {
  labelled: SegmentationSet;
  unlabelled: SegmentationSet;
  val: SegmentationSet;
  /** Reported at the end, never used for selection. */
  test: SegmentationSet;
  numClasses: number;
  classNames: string[];
  describe: string;
}

function toSet(images: Float32Array, masks: Int32Array, idx: number[], size: number): SegmentationSet {
  const hw = size * size;
  const img = new Float32Array(idx.length * hw * 3);
  const lab = new Int32Array(idx.length * hw);
  idx.forEach((src, i) => {
    img.set(images.subarray(src * hw * 3, (src + 1) * hw * 3), i * hw * 3);
    lab.set(masks.subarray(src * hw, (src + 1) * hw), i * hw);
  });
  return { images: tf.tensor4d(img, [idx.length, size, size, 3]), labels: tf.tensor3d(lab, [idx.length, size, size], 'int32') };
}

/** Build the labelled / unlabelled / validation sets of the digit scenes. */
export function segmentationSets(data: SegData): SegSets {
  const train = makeDigitScenes({ n: data.scenes, size: data.size, seed: data.seed, variant: data.variant, channels: 3, split: 'train' });
  const val = makeDigitScenes({ n: data.valScenes, size: data.size, seed: data.seed, variant: data.variant, channels: 3, split: 'test' });
  // Scenes hold several classes, so the split is not stratified (labels only give N).
  const split = labeledUnlabeledSplit({ labels: new Int32Array(train.n), fraction: data.labelledFraction, stratified: false, seed: data.seed });
  if (split.labeled.length === 0) throw new Error(`data.labelledFraction ${data.labelledFraction} of ${data.scenes} scenes labels no scene: raise data.scenes or data.labelledFraction`);
  const all = Array.from({ length: val.n }, (_, i) => i);
  // Other scenes (another seed) of the same held-out digits: the validation scenes choose the checkpoint, these report.
  const test = makeDigitScenes({ n: data.testScenes, size: data.size, seed: data.seed + 1, variant: data.variant, channels: 3, split: 'test' });
  return {
    labelled: toSet(train.images, train.masks, split.labeled, data.size),
    unlabelled: toSet(train.images, train.masks, split.unlabeled.length > 0 ? split.unlabeled : split.labeled, data.size),
    val: toSet(val.images, val.masks, all, data.size),
    test: toSet(test.images, test.masks, Array.from({ length: test.n }, (_, i) => i), data.size),
    numClasses: train.numClasses,
    classNames: train.classNames,
    describe: `embedded digit scenes (${data.variant}, ${data.size}×${data.size}, ${train.source}): ${split.labeled.length} labelled + ${split.unlabeled.length} unlabelled training scenes, ${val.n} validation (dev) scenes, ${test.n} test scenes, ${train.numClasses} classes`,
  };
}

/** Free the tensors of {@link segmentationSets}. */
export function disposeSegSets(s: SegSets): void {
  tf.dispose([s.labelled.images, s.labelled.labels, s.unlabelled.images, s.unlabelled.labels, s.val.images, s.val.labels, s.test.images, s.test.labels]);
}

/** Number of classes of the digit scenes (background + 10 digits), known without generating data. */
export const DIGIT_SCENE_CLASSES = 11;

/** Encoder initialisation of the CCT-family recipes: an `@lel/autoregressive-seg` encoder pretrained without labels. */
export const SegInit = z
  .object({
    /** An `arseg`/`iic` run folder (its best/encoder.safetensors) or an exported encoder file; absent: SmallConvEncoder from scratch. */
    encoder: z.string().min(1).optional(),
    /**
     * With `encoder`: BatchNorm → ReLU on its output before the decoders (ours). The AR encoder ends in un-normalised
     * ReLU residual sums (features of mean ≈ 6, max ≈ 60 after pretraining on the digit scenes, logits ±130 through a
     * fresh CCT decoder), whereas CCT's decoders expect the normalised output of the official encoder (its PSP module
     * ends with BN → ReLU). Measured 2026-11-25 (cct-supervised, 12 labelled scenes, 660 steps, seed 0, stride 2, four AR
     * encoders: pretrained or random, stem 8 or 16 channels): mIoU 8.8–10.1% without, 10.5–12.9% with (apps/lel/README.md, demo).
     */
    featureNorm: z.boolean().default(true),
  })
  .strict()
  .prefault({});
export type SegInit = z.output<typeof SegInit>;

/** The encoder file named by `init.encoder` (a run folder or the file itself). */
export function encoderFile(ref: string): string {
  const inRun = path.join(ref, 'best', 'encoder.safetensors');
  if (fs.existsSync(inRun)) return inRun;
  if (fs.existsSync(ref) && fs.statSync(ref).isFile()) return ref;
  throw new Error(`init.encoder: ${ref} is neither an arseg/iic run folder with best/encoder.safetensors nor an encoder file`);
}

/**
 * A CCT network for the digit scenes: the `@lel/autoregressive-seg` encoder of `init.encoder` (weights included, its
 * output stride sets the decoders' upscale) or a fresh SmallConvEncoder of `model.widths`.
 */
export async function buildSegNet(model: SegModel, init: SegInit, cct: Omit<CctConfigInput, 'numClasses' | 'upscale'>, seed: number, classes: SegClasses = {}): Promise<CctModel> {
  if (!init.encoder) return buildSegmenter(model, cct, seed, classes);
  const ar = await loadArEncoder(encoderFile(init.encoder));
  const encoder = init.featureNorm ? new NormalisedEncoder(ar) : ar;
  return new CctModel(encoder, { ...cct, numClasses: classes.numClasses ?? DIGIT_SCENE_CLASSES, upscale: encoder.outputStride }, new Rng(`lel/model/${seed}`).fork('decoders'));
}

/** Classes and input channels of a segmentation network (default: the digit scenes, RGB). */
export interface SegClasses {
  numClasses?: number;
  inChannels?: number;
}

/**
 * An `@lel/autoregressive-seg` encoder followed by BatchNorm → ReLU (as the official CCT encoder's last layers), so
 * the CCT decoders see normalised features. Parameters: `features.*` (the AR encoder's names) and `norm.*`.
 */
export class NormalisedEncoder extends Module {
  readonly outChannels: number;
  readonly outputStride: number;
  readonly features: ArEncoder;
  readonly norm: BatchNorm2d;

  constructor(encoder: ArEncoder) {
    super();
    this.features = this.registerModule('features', encoder);
    this.norm = this.registerModule('norm', new BatchNorm2d(encoder.outChannels));
    this.outChannels = encoder.outChannels;
    this.outputStride = encoder.outputStride;
  }

  forward(x: tf.Tensor): tf.Tensor4D {
    return scoped('NormalisedEncoder', () => relu(this.norm.forward(this.features.forward(x))) as tf.Tensor4D);
  }
}

/** A CCT network (encoder + main decoder [+ auxiliary decoders]) for the digit scenes. */
export function buildSegmenter(model: SegModel, cct: Omit<CctConfigInput, 'numClasses' | 'upscale'>, seed: number, classes: SegClasses = {}): CctModel {
  const rng = new Rng(`lel/model/${seed}`);
  const encoder = new SmallConvEncoder({ widths: model.widths, batchNorm: model.batchNorm, outputStride: model.outputStride, inChannels: classes.inChannels ?? 3, rng: rng.fork('encoder') });
  return new CctModel(encoder, { ...cct, numClasses: classes.numClasses ?? DIGIT_SCENE_CLASSES, upscale: encoder.outputStride }, rng.fork('decoders'));
}

/** mIoU, pixel accuracy, per-class IoU and the confusion matrix over a set (255 ignored). */
export function evaluateSegmenter(model: { forward(x: tf.Tensor4D): tf.Tensor4D }, set: SegmentationSet, numClasses: number, batchSize = 8): { cm: ConfusionMatrix; metrics: Record<string, number> } {
  const cm = new ConfusionMatrix(numClasses, { ignoreIndex: 255 });
  const n = set.images.shape[0];
  for (let s = 0; s < n; s += batchSize) {
    const m = Math.min(batchSize, n - s);
    const [pred, target] = tf.tidy(() => {
      const x = tf.slice(set.images, [s, 0, 0, 0], [m, -1, -1, -1]);
      return [tf.cast(tf.argMax(predictLogits(model, x), 3), 'int32'), tf.slice(set.labels, [s, 0, 0], [m, -1, -1])];
    });
    cm.add(pred!, target!);
    tf.dispose([pred!, target!]);
  }
  return { cm, metrics: { miou: cm.miou(), pixelAccuracy: cm.pixelAccuracy() } };
}

/** Colour a class mask with the VOC palette into an RGB float image. */
function colourMask(mask: ArrayLike<number>, palette: Uint8Array): Float32Array {
  const out = new Float32Array(mask.length * 3);
  for (let i = 0; i < mask.length; i++) {
    const c = mask[i]! === 255 ? 255 : mask[i]!;
    for (let k = 0; k < 3; k++) out[3 * i + k] = palette[3 * c + k]! / 255;
  }
  return out;
}

/**
 * Write PNG strips — image | ground truth | prediction, 2 px apart — as `samples/sample-<i>.png` in the run folder
 * (masks coloured with the VOC palette). Returns the paths relative to the run folder.
 */
export function writeStrips(runDir: string, imgs: Float32Array, gts: ArrayLike<number>, preds: ArrayLike<number>, n: number, h: number, w: number, channels = 3): string[] {
  const palette = vocPalette();
  const gap = 2;
  const W = 3 * w + 2 * gap;
  const dir = path.join(runDir, 'samples');
  fs.mkdirSync(dir, { recursive: true });
  const out: string[] = [];
  const slice = (a: ArrayLike<number>, i: number) => Array.from({ length: h * w }, (_, k) => a[i * h * w + k]!);
  for (let i = 0; i < n; i++) {
    const strip = new Float32Array(h * W * 3).fill(1);
    const rgb = new Float32Array(h * w * 3);
    for (let p = 0; p < h * w; p++) for (let c = 0; c < 3; c++) rgb[3 * p + c] = imgs[(i * h * w + p) * channels + (channels === 3 ? c : 0)]!;
    const panels = [rgb, colourMask(slice(gts, i), palette), colourMask(slice(preds, i), palette)];
    panels.forEach((p, k) => {
      for (let y = 0; y < h; y++) strip.set(p.subarray(y * w * 3, (y + 1) * w * 3), (y * W + k * (w + gap)) * 3);
    });
    const rel = path.join('samples', `sample-${i}.png`);
    fs.writeFileSync(path.join(runDir, rel), encodePng({ data: strip, height: h, width: W, channels: 3 }));
    out.push(rel);
  }
  return out;
}

/** Sample strips of the first validation scenes with `model`'s predictions. */
export function writeSegSamples(model: { forward(x: tf.Tensor4D): tf.Tensor4D }, set: SegmentationSet, runDir: string, count = 4): string[] {
  const n = Math.min(count, set.images.shape[0]);
  const [, h, w] = set.images.shape;
  const [imgs, gts, preds] = tf.tidy(() => {
    const x = tf.slice(set.images, [0, 0, 0, 0], [n, -1, -1, -1]);
    return [x.dataSync(), tf.slice(set.labels, [0, 0, 0], [n, -1, -1]).dataSync(), tf.argMax(predictLogits(model, x), 3).dataSync()];
  }) as unknown as [Float32Array, Int32Array, Int32Array];
  return writeStrips(runDir, imgs, gts, preds, n, h, w);
}

/** The evaluation a segmentation run reports, on the test scenes: metrics, per-class IoU, confusion matrix, sample strips. */
export function segEvalResult(model: { forward(x: tf.Tensor4D): tf.Tensor4D }, sets: SegSets, runDir: string): EvalResult {
  const { cm, metrics } = evaluateSegmenter(model, sets.test, sets.numClasses);
  return {
    metrics,
    classNames: sets.classNames,
    perClassIoU: cm.perClassIoU(),
    confusion: cm.matrix.map((row) => [...row]),
    samples: writeSegSamples(model, sets.test, runDir),
  };
}

/** Predict masks for image files: `<outDir>/<name>.mask.png` (VOC palette, class index per pixel) at the image's size. */
export function predictMasks(model: { forward(x: tf.Tensor4D): tf.Tensor4D }, size: number, stride: number, request: PredictRequest, classNames: string[]): Prediction[] {
  fs.mkdirSync(request.outDir, { recursive: true });
  const out: Prediction[] = [];
  for (const input of request.inputs) {
    const img = readImage(input, { channels: 3 });
    // The network is fully convolutional; feed a size that its stride divides, then resize logits back.
    const side = (v: number) => Math.max(stride, Math.round(v / stride) * stride);
    const mask = tf.tidy(() => {
      const x = tf.tensor4d(img.data, [1, img.height, img.width, 3]);
      const resized = tf.image.resizeBilinear(x, [side(img.height), side(img.width)], true);
      const logits = tf.image.resizeBilinear(predictLogits(model, resized), [img.height, img.width], true);
      return tf.argMax(logits, 3).dataSync();
    });
    const file = path.join(request.outDir, `${path.basename(input).replace(/\.[^.]+$/, '')}.mask.png`);
    fs.writeFileSync(file, encodePalettePng(mask, img.height, img.width));
    const counts = new Map<number, number>();
    for (const v of mask) counts.set(v, (counts.get(v) ?? 0) + 1);
    const fractions: Record<string, number> = {};
    for (const [c, k] of [...counts].sort((a, b) => a[0] - b[0])) fractions[classNames[c] ?? String(c)] = k / mask.length;
    out.push({ input, output: file, probabilities: fractions });
  }
  void size;
  return out;
}
