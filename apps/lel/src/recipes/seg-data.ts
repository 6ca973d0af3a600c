import * as tf from '@tensorflow/tfjs-core';
import { ConfusionMatrix } from '@lel/core';
import { predictLogits } from '@lel/cct';
import { DataConfigError, type DataRole } from '../data/detect';
import { segmentationConfusion, headOfPart } from '../data/evaluate';
import { resolveImageData, type ImageData } from '../data/image-data';
import type { SegmentationData } from '../data/sections';
import { streamingPart } from '../data/tensors';
import { writeStrips } from './segmentation';
import type { EvalResult } from './types';

type Segmenter = { forward(x: tf.Tensor4D): tf.Tensor4D };

/**
 * The segmentation data of a run from its `data:` section (user folders or the embedded scenes), streamed from disk.
 * With `runDir` the split and label map are recorded in `<run>/data/` (and read back on resume, eval and predict).
 * Training needs a labelled part and a dev part (model selection); `needUnlabelled` (CCT's semi mode) an
 * unlabelled one: each missing part is an error naming the key to set.
 */
export async function segmentationRunData(section: SegmentationData, options: { runDir: string; log?: (line: string) => void; needUnlabelled?: boolean }): Promise<ImageData> {
  const data = await resolveImageData(section, 'segmentation', { runDir: options.runDir, ...(options.log ? { log: options.log } : {}) });
  if (!data.parts.labelled || data.parts.labelled.indices.length === 0) throw new DataConfigError('data.labelled', 'no labelled image is left for training (check the label budget: fraction / count / perClass)');
  if (!data.parts.dev) throw new DataConfigError('data.dev', 'the run needs a dev part to evaluate on: give data.dev (a folder with masks), or keep data.dev "auto" with data.devFraction > 0');
  if (options.needUnlabelled && !data.parts.unlabelled) {
    throw new DataConfigError('data.unlabelled', 'semi-supervised CCT needs unlabelled images: give data.unlabelled (a folder of images, no masks needed), or keep only part of data.labelled labelled (data.labelled.fraction / count / perClass)');
  }
  if (data.classNames.length < 2) throw new DataConfigError('data.classes', `the data has ${data.classNames.length} class(es): segmentation needs at least 2`);
  return data;
}

/** The run's labelled and unlabelled parts as `@lel/cct` streaming sets (the unlabelled one without masks). */
export function cctStreams(data: ImageData, semi: boolean) {
  return {
    labelled: streamingPart(data, 'labelled'),
    ...(semi && data.parts.unlabelled ? { unlabelled: streamingPart(data, 'unlabelled', { withLabels: false }) } : {}),
  };
}

/** mIoU and pixel accuracy of a segmenter over a part of the run's data, batch by batch (255 ignored). */
export async function segPartMetrics(model: Segmenter, data: ImageData, role: DataRole): Promise<Record<string, number>> {
  const cm = await segmentationConfusion(data, role, data.classNames.length, (x) => predictLogits(model, x));
  return { miou: cm.miou(), pixelAccuracy: cm.pixelAccuracy() };
}

/**
 * mIoU of the trivial answer "background (class 0) everywhere" on the pixels a confusion matrix counted: the chance
 * level of a segmentation task (effect tables measure headroom from it).
 */
export function trivialMiou(cm: ConfusionMatrix): number {
  const trivial = new ConfusionMatrix(cm.numClasses);
  cm.matrix.forEach((row, c) => {
    const n = row.reduce((a, b) => a + b, 0);
    if (n > 0) trivial.add(new Array<number>(n).fill(0), new Array<number>(n).fill(c));
  });
  return trivial.miou();
}

/**
 * The report of a segmentation run on its data (`trivial_miou`: all background on the same pixels): metrics, per-class IoU and confusion matrix on the test part (the dev
 * part when there is no test part), and sample strips (image | truth | prediction) of its first images.
 */
export async function segDataReport(model: Segmenter, data: ImageData, runDir: string, count = 4): Promise<EvalResult> {
  const role: DataRole = data.parts.test ? 'test' : 'dev';
  const cm = await segmentationConfusion(data, role, data.classNames.length, (x) => predictLogits(model, x));
  const head = await headOfPart(data, role, count);
  const pred = tf.tidy(() => tf.argMax(predictLogits(model, head.images), 3));
  try {
    const [n, h, w, c] = head.images.shape;
    const samples = writeStrips(runDir, (await head.images.data()) as Float32Array, head.labels ? await head.labels.data() : new Int32Array(n * h * w).fill(255), await pred.data(), n, h, w, c);
    return { metrics: { miou: cm.miou(), pixelAccuracy: cm.pixelAccuracy(), trivial_miou: trivialMiou(cm) }, classNames: data.classNames, perClassIoU: cm.perClassIoU(), confusion: cm.matrix.map((row) => [...row]), samples };
  } finally {
    tf.dispose([head.images, ...(head.labels ? [head.labels] : []), pred]);
  }
}

/** Images of the run's data for the BatchNorm pass on SWA's averaged weights (freed by the caller). */
export async function bnImages(data: ImageData, count = 32): Promise<tf.Tensor4D> {
  const role: DataRole = data.parts.unlabelled ? 'unlabelled' : 'labelled';
  const head = await headOfPart(data, role, count);
  head.labels?.dispose();
  head.classes?.dispose();
  return head.images;
}
