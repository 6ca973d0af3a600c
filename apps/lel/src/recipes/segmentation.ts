import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { BatchNorm2d, Module, Rng, relu, scoped } from '@lel/core';
import { writeFileAtomicSync } from '@lel/core/node';
import { CctModel, SmallConvEncoder, predictLogits, type CctConfigInput } from '@lel/cct';
import { loadArEncoder, type ArEncoder } from '@lel/autoregressive-seg';
import { encodePalettePng, encodePng, readImage, vocPalette } from '@lel/datasets/node';
import type { PredictRequest, Prediction } from './types';

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

/** Number of classes of the digit scenes (background + 10 digits), known without generating data. */
export const DIGIT_SCENE_CLASSES = 11;

/** The digit scenes' label map (background, then the digits). */
export const DIGIT_SCENE_NAMES: readonly string[] = ['background', ...Array.from({ length: 10 }, (_, i) => String(i))];

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

/**
 * Predict masks for image files: `<outDir>/<name>.mask.png` (VOC palette, class index per pixel) at the image's size.
 * Images are read with the `channels` the run trained on (1: grey, as its data recorded; 3: RGB).
 */
export async function predictMasks(model: { forward(x: tf.Tensor4D): tf.Tensor4D }, stride: number, request: PredictRequest, classNames: readonly string[], channels: 1 | 3 = 3): Promise<Prediction[]> {
  fs.mkdirSync(request.outDir, { recursive: true });
  const out: Prediction[] = [];
  for (const input of request.inputs) {
    const img = readImage(input, { channels });
    // The network is fully convolutional; feed a size that its stride divides, then resize logits back.
    const side = (v: number) => Math.max(stride, Math.round(v / stride) * stride);
    const pred = tf.tidy(() => {
      const x = tf.tensor4d(img.data, [1, img.height, img.width, channels]);
      const resized = tf.image.resizeBilinear(x, [side(img.height), side(img.width)], true);
      const logits = tf.image.resizeBilinear(predictLogits(model, resized), [img.height, img.width], true);
      return tf.argMax(logits, 3);
    });
    const mask = await pred.data();
    pred.dispose();
    const file = path.join(request.outDir, `${path.basename(input).replace(/\.[^.]+$/, '')}.mask.png`);
    writeFileAtomicSync(file, encodePalettePng(mask, img.height, img.width));
    const counts = new Map<number, number>();
    for (const v of mask) counts.set(v, (counts.get(v) ?? 0) + 1);
    const fractions: Record<string, number> = {};
    for (const [c, k] of [...counts].sort((a, b) => a[0] - b[0])) fractions[classNames[c] ?? String(c)] = k / mask.length;
    out.push({ input, output: file, probabilities: fractions });
  }
  return out;
}
