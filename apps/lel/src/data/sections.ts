import { z } from 'zod';
import { ClassImageSource, LabelledClassImageSource, LabelledSegmentationSource, LabelledTextSource, SegmentationSource, TextSource, UnlabelledImageSource } from './specs';

/**
 * The `data:` sections of the recipes: where the labelled, unlabelled, dev (model selection) and test (reporting)
 * examples come from, how the labelled source is split, and how images are brought to the model's input.
 */

const heldOut = <T extends z.ZodType>(spec: T, fallback: 'auto' | null) =>
  z
    .union([z.literal('auto'), spec, z.null()])
    .default(fallback as never)
    .describe('"auto": the source\'s own held-out part (VOC val list, embedded held-out data) or a stratified carve of data.devFraction; a source; or null for none');

const splitKeys = {
  devFraction: z.number().min(0).default(0.1).describe('with dev "auto" and no held-out part in the source: the dev part carved from the labelled source, a fraction in (0, 1) or a count'),
  testFraction: z.number().min(0).default(0).describe('a test part carved from the labelled source (fraction or count; 0 = none), reported at the end and never used for selection'),
  stratify: z.boolean().default(true).describe('keep class proportions in every carved part (segmentation: by the rarest class of each image)'),
  seed: z.number().int().min(0).default(0).describe('seed of the splits and of embedded data'),
};

const Size = z.union([z.number().int().min(1), z.tuple([z.number().int().min(1), z.number().int().min(1)])]);

const imageKeys = (size: number, channels: 1 | 3) => ({
  size: Size.default(size).describe('model input: a side, or [height, width]'),
  resize: z.enum(['stretch', 'crop', 'none']).default('stretch').describe('stretch: resize to the input; crop: scale to cover, crop (random in training, centred otherwise); none: sizes must match'),
  channels: z.union([z.literal(1), z.literal(3)]).default(channels).describe('1 = grey, 3 = RGB'),
  prefetch: z.number().int().min(0).default(2).describe('batches decoded ahead while a step runs'),
  classes: z.array(z.string().min(1)).min(2).optional().describe('class names in label order (the label map); default from the source'),
});

/** Segmentation recipes (cct, cct-supervised, kd, ckd): masks for the labelled part, raw images welcome as unlabelled. */
export const SegmentationData = z
  .object({
    labelled: LabelledSegmentationSource.prefault({ source: 'digit-scenes' }).describe('images with masks; label-budget keys fraction / count / perClass keep part of them labelled'),
    unlabelled: z.union([UnlabelledImageSource, z.null()]).default(null).describe('images used without labels (no masks needed); the labelled source\'s unused samples join them'),
    dev: heldOut(SegmentationSource, 'auto'),
    test: heldOut(SegmentationSource, null),
    ...splitKeys,
    ...imageKeys(32, 3),
  })
  .strict()
  .prefault({});
export type SegmentationData = z.output<typeof SegmentationData>;

/** Unsupervised segmentation (arseg, iic): training images need no masks; masks of the dev part score the clusters. */
export const ClusteringData = z
  .object({
    unlabelled: UnlabelledImageSource.prefault({ source: 'digit-scenes' }).describe('training images (masks, if any, are not used)'),
    dev: heldOut(SegmentationSource, 'auto').describe('images with masks that only score the clusters (never train or select them): "auto" = the source\'s held-out part or a carve of a source with masks (none for a plain image folder); a source; or null'),
    target: z
      .enum(['auto', 'classes', 'foreground'])
      .default('auto')
      .describe('what the clusters are scored against: the mask classes, or foreground (class 0 = background vs every other class); auto: foreground for the embedded digit scenes, classes otherwise'),
    clusters: z.number().int().min(2).optional().describe('number of clusters; default the scored classes (one-to-one Hungarian matching); needed when no dev masks are given'),
    ...splitKeys,
    ...imageKeys(32, 3),
  })
  .strict()
  .prefault({});
export type ClusteringData = z.output<typeof ClusteringData>;

/** Image classification and few-shot recipes (scl): class folders or the embedded glyphs. */
export const ClassImageData = z
  .object({
    labelled: LabelledClassImageSource.prefault({ source: 'glyphs' }).describe('one folder per class'),
    dev: heldOut(ClassImageSource, 'auto'),
    test: heldOut(ClassImageSource, null),
    ...splitKeys,
    ...imageKeys(28, 1),
  })
  .strict()
  .prefault({});
export type ClassImageData = z.output<typeof ClassImageData>;

/** Text classification recipes: CSV, TSV, JSONL or the embedded reviews / e-mails. */
export const TextData = z
  .object({
    labelled: LabelledTextSource.prefault({ source: 'sentiment' }).describe('labelled texts; perClass keeps K per class (few-sample fine-tuning)'),
    dev: heldOut(TextSource, 'auto'),
    test: heldOut(TextSource, null),
    ...splitKeys,
    labels: z.array(z.string().min(1)).min(2).optional().describe('label names in index order (the label map); default inferred from the labelled source'),
    maxLength: z.number().int().min(8).default(48).describe('tokens per example, [CLS] and [SEP] included'),
  })
  .strict()
  .prefault({});
export type TextData = z.output<typeof TextData>;
