import { z } from 'zod';
import { SENTIMENT_DOMAINS, SPAM_GROUPS } from '@lel/datasets/node';

/**
 * Zod schemas of the data sources a recipe's `data:` section names. A source is either a path (a string: the kind is
 * detected from the layout, see `detect.ts`), the name of an embedded data set, or an object `{ source: <kind>, … }`
 * with the kind's options. Every option has a default, so `{ source: voc, path: ./VOC2012 }` is complete.
 */

const path = z.string().min(1).describe('a folder or file; relative paths are relative to the directory lel runs in');
const limit = z.number().int().min(1).optional().describe('keep only the first N samples, in the source order (for quick tries)');
const column = z.union([z.string().min(1), z.number().int().min(0)]);

/** Sub-folder layouts on disk. */
export const VocSpec = z
  .object({
    source: z.literal('voc'),
    path,
    split: z.string().min(1).default('train').describe('ImageSets/Segmentation/<split>.txt'),
    heldOutSplit: z.string().min(1).default('val').describe('split list used as the held-out (dev) part when it exists'),
    maskDir: z.string().min(1).default('SegmentationClass').describe('mask folder (SegmentationClassAug for the augmented set)'),
    limit,
  })
  .strict()
  .describe('PASCAL VOC layout: JPEGImages/<id>.jpg, SegmentationClass/<id>.png, ImageSets/Segmentation/<split>.txt');

export const ImageMaskFolderSpec = z
  .object({
    source: z.literal('image-mask-folder'),
    path,
    images: z.string().min(1).default('images').describe('image sub-folder'),
    masks: z.string().min(1).default('masks').describe('mask sub-folder: one PNG per image, same relative path and name'),
    limit,
  })
  .strict()
  .describe('segmentation folder: <path>/images/**/<name>.png|jpg with <path>/masks/**/<name>.png (class index per pixel, 255 = ignore)');

export const ImageFolderSpec = z
  .object({ source: z.literal('image-folder'), path, limit })
  .strict()
  .describe('unlabelled images: <path>/**/*.png|jpg (no masks or labels needed)');

export const ClassFoldersSpec = z
  .object({ source: z.literal('class-folders'), path, limit })
  .strict()
  .describe('one sub-folder per class: <path>/<class>/**/*.png|jpg');

/** Text files. */
const delimited = (kind: 'csv' | 'tsv') =>
  z
    .object({
      source: z.literal(kind),
      path,
      text: column.default('text').describe('column of the text (name, or 0-based index)'),
      textB: column.optional().describe('column of the second sentence of a pair task'),
      label: column.default('label').describe('column of the label'),
      header: z.boolean().default(true).describe('the first row names the columns'),
      delimiter: z.string().min(1).optional().describe(`default ${kind === 'tsv' ? 'tab' : 'comma'}`),
      quote: z.string().length(1).nullable().optional().describe(`quote character; null for none (default ${kind === 'tsv' ? 'none, as GLUE' : '" (RFC 4180)'})`),
      limit,
    })
    .strict()
    .describe(`${kind.toUpperCase()} file of labelled texts`);
export const CsvSpec = delimited('csv');
export const TsvSpec = delimited('tsv');

export const JsonlSpec = z
  .object({
    source: z.literal('jsonl'),
    path,
    text: z.string().min(1).default('text').describe('field of the text'),
    textB: z.string().min(1).optional().describe('field of the second sentence of a pair task'),
    label: z.string().min(1).default('label').describe('field of the label (string or integer)'),
    limit,
  })
  .strict()
  .describe('JSON Lines file of labelled texts: one object per line');

/** Embedded data (installed with @lel/datasets, nothing downloaded). */
export const DigitScenesSpec = z
  .object({
    source: z.literal('digit-scenes'),
    n: z.number().int().min(1).default(64).describe('scenes (from the training digits)'),
    heldOut: z.number().int().min(0).default(16).describe('held-out scenes from digits never used in training (the dev part)'),
    variant: z.enum(['easy', 'hard']).default('easy'),
    size: z.number().int().min(8).optional().describe('scene side in pixels; default data.size'),
    seed: z.number().int().min(0).optional().describe('default data.seed'),
    digits: z
      .array(z.number().int().min(0).max(9))
      .min(1)
      .optional()
      .describe('draw only these digits, labelled 1…k in this order (default all ten): fewer classes make a task whose all-label ceiling a small network reaches on 2 cores'),
    scale: z.tuple([z.number().positive(), z.number().positive()]).optional().describe('side of a digit as a fraction of the scene side, uniform in [lo, hi] (default [0.35, 0.7])'),
    digitsPerImage: z.tuple([z.number().int().min(0), z.number().int().min(0)]).optional().describe('digits per scene, an inclusive range (default [1, 3] easy, [2, 4] hard)'),
  })
  .strict()
  .describe('embedded digit scenes (MNIST digits pasted on a canvas): background + 10 digit classes (or those of `digits`)');

export const GlyphsSpec = z
  .object({
    source: z.literal('glyphs'),
    classes: z.number().int().min(2).default(16).describe('characters (classes) drawn'),
    // Not `perClass`: on data.labelled that key is the label budget (labelled samples kept per class).
    drawings: z.number().int().min(1).default(12).describe('drawings per character'),
    heldOutClasses: z.number().int().min(0).default(10).describe('further characters, disjoint from the training ones (few-shot evaluation)'),
    size: z.number().int().min(8).optional().describe('side in pixels; default data.size'),
    seed: z.number().int().min(0).optional().describe('default data.seed'),
  })
  .strict()
  .describe('embedded Omniglot-like glyphs: one class per character');

export const SentimentSpec = z
  .object({
    source: z.literal('sentiment'),
    domain: z.enum(SENTIMENT_DOMAINS).default('amazon'),
    heldOut: z.number().int().min(0).default(128).describe('in-domain held-out reviews used (the dev part)'),
  })
  .strict()
  .describe('embedded review sentences (UCI Sentiment Labelled Sentences): negative / positive');

export const SpamSpec = z
  .object({
    source: z.literal('spam'),
    groups: z.array(z.enum(SPAM_GROUPS)).min(1).optional().describe('corpus groups (default all)'),
    maxChars: z.number().int().min(1).default(2000).describe('characters kept per message'),
    limit,
  })
  .strict()
  .describe('embedded SpamAssassin e-mails: ham / spam');

/** A path or an embedded name given as a plain string (see `detect.ts`). */
export const SourceString = z.string().min(1).describe('a folder or file (its layout decides the kind) or an embedded data set name');

export const SegmentationSourceObject = z.discriminatedUnion('source', [VocSpec, ImageMaskFolderSpec, DigitScenesSpec]);
export const UnlabelledImageSourceObject = z.discriminatedUnion('source', [ImageFolderSpec, VocSpec, ImageMaskFolderSpec, ClassFoldersSpec, DigitScenesSpec, GlyphsSpec]);
export const ClassImageSourceObject = z.discriminatedUnion('source', [ClassFoldersSpec, GlyphsSpec]);
export const TextSourceObject = z.discriminatedUnion('source', [CsvSpec, TsvSpec, JsonlSpec, SentimentSpec, SpamSpec]);

/**
 * A source given as `{ path, … }` without `source`: the kind is detected from the path (as for a plain string) and the
 * other keys are checked against the detected kind's options when the data is resolved.
 */
export const DetectedSource = z
  .object({ path, source: z.never().optional() })
  .catchall(z.unknown())
  .describe('a folder or file whose layout decides the kind, with that kind\'s options');

/** How much of the labelled source keeps its labels; the rest joins the unlabelled data (semi-supervised recipes). */
export const LabelBudget = {
  fraction: z.number().gt(0).max(1).optional().describe('fraction of the labelled training samples that keep their labels (stratified)'),
  count: z.number().int().min(1).optional().describe('number of labelled training samples kept (stratified)'),
  perClass: z.number().int().min(1).optional().describe('labelled training samples kept per class (few-sample protocol)'),
};

/** Adds the label-budget keys to every object option of a source union (for `data.labelled`). */
function withBudget<T extends z.ZodDiscriminatedUnion<z.ZodObject[]>>(union: T) {
  const options = (union.def.options as z.ZodObject[]).map((o) => o.extend(LabelBudget).strict());
  return z.discriminatedUnion('source', options as unknown as [z.ZodObject, ...z.ZodObject[]]);
}

export const SegmentationSource = z.union([SourceString, SegmentationSourceObject, DetectedSource]);
export const LabelledSegmentationSource = z.union([SourceString, withBudget(SegmentationSourceObject), DetectedSource]);
export const UnlabelledImageSource = z.union([SourceString, UnlabelledImageSourceObject, DetectedSource]);
export const ClassImageSource = z.union([SourceString, ClassImageSourceObject, DetectedSource]);
export const LabelledClassImageSource = z.union([SourceString, withBudget(ClassImageSourceObject), DetectedSource]);
export const TextSource = z.union([SourceString, TextSourceObject, DetectedSource]);
export const LabelledTextSource = z.union([SourceString, withBudget(TextSourceObject), DetectedSource]);

/** Any source object, as the resolver sees it after detection. */
export type SourceObject =
  | z.output<typeof VocSpec>
  | z.output<typeof ImageMaskFolderSpec>
  | z.output<typeof ImageFolderSpec>
  | z.output<typeof ClassFoldersSpec>
  | z.output<typeof CsvSpec>
  | z.output<typeof TsvSpec>
  | z.output<typeof JsonlSpec>
  | z.output<typeof DigitScenesSpec>
  | z.output<typeof GlyphsSpec>
  | z.output<typeof SentimentSpec>
  | z.output<typeof SpamSpec>;

/** A source spec as written in a config: a string or an object (validated by the section's schema). */
export type SourceSpec = string | SourceObject | Record<string, unknown>;

/** The label-budget keys of a labelled source. */
export type LabelBudgetSpec = { fraction?: number; count?: number; perClass?: number };

/** The names a string may use for embedded data, with the object it stands for. */
export const EMBEDDED_SOURCES = ['digit-scenes', 'glyphs', 'sentiment', 'spam'] as const;
