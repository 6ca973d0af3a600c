import * as fs from 'node:fs';
import * as path from 'node:path';
import { isDirectory } from '@lel/datasets/node';
import { validateAt } from '../config/validate';
import { EMBEDDED_SOURCES, type SourceObject, type SourceSpec } from './specs';
import { ClassFoldersSpec, CsvSpec, DigitScenesSpec, GlyphsSpec, ImageFolderSpec, ImageMaskFolderSpec, JsonlSpec, SentimentSpec, SpamSpec, TsvSpec, VocSpec } from './specs';

/** What a recipe's data is made of: the kinds of source a string may stand for depend on it. */
export type DataFamily = 'segmentation' | 'class-images' | 'text';

/** Which part of the data a source fills. */
export type DataRole = 'labelled' | 'unlabelled' | 'dev' | 'test';

const SCHEMAS = {
  voc: VocSpec,
  'image-mask-folder': ImageMaskFolderSpec,
  'image-folder': ImageFolderSpec,
  'class-folders': ClassFoldersSpec,
  csv: CsvSpec,
  tsv: TsvSpec,
  jsonl: JsonlSpec,
  'digit-scenes': DigitScenesSpec,
  glyphs: GlyphsSpec,
  sentiment: SentimentSpec,
  spam: SpamSpec,
} as const;

/** Error in a data section: names the key (`data.labelled`) and the problem. */
export class DataConfigError extends Error {
  constructor(
    readonly key: string,
    problem: string,
  ) {
    super(`${key}: ${problem}`);
    this.name = 'DataConfigError';
  }
}

/** A string is an embedded data set's name unless it looks like a path (`./sentiment` is the folder). */
function embeddedName(s: string): (typeof EMBEDDED_SOURCES)[number] | undefined {
  return (EMBEDDED_SOURCES as readonly string[]).includes(s) ? (s as (typeof EMBEDDED_SOURCES)[number]) : undefined;
}

/** Whether a folder holds images directly (not only in sub-folders). */
function hasImagesAtTop(dir: string): boolean {
  return fs.readdirSync(dir).some((f) => /\.(png|jpe?g)$/i.test(f) && !isDirectory(path.join(dir, f)));
}

/**
 * The kind of source a path has, from its layout:
 * - `*.csv`, `*.tsv`, `*.jsonl` / `*.ndjson` files: text;
 * - a folder with `JPEGImages/` and `ImageSets/Segmentation/`: VOC;
 * - a folder with `images/` and `masks/`: an image-mask folder;
 * - another folder: unlabelled images for the `unlabelled` role, class folders for labelled image classification,
 *   and an error (naming what a labelled segmentation folder needs) otherwise.
 */
export function detectKind(p: string, family: DataFamily, role: DataRole, key: string): keyof typeof SCHEMAS {
  if (!fs.existsSync(p)) throw new DataConfigError(key, `${p} does not exist (a path is read relative to ${process.cwd()})`);
  if (!isDirectory(p)) {
    if (/\.csv$/i.test(p)) return 'csv';
    if (/\.tsv$/i.test(p)) return 'tsv';
    if (/\.(jsonl|ndjson)$/i.test(p)) return 'jsonl';
    throw new DataConfigError(key, `${p} is a file of unknown kind: give a folder, or a .csv, .tsv or .jsonl file (or an object {source: …, path: …})`);
  }
  if (family === 'text') throw new DataConfigError(key, `${p} is a folder; text data is a .csv, .tsv or .jsonl file`);
  if (isDirectory(path.join(p, 'JPEGImages')) && isDirectory(path.join(p, 'ImageSets', 'Segmentation'))) return 'voc';
  if (isDirectory(path.join(p, 'images')) && isDirectory(path.join(p, 'masks'))) return 'image-mask-folder';
  if (role === 'unlabelled') return 'image-folder';
  if (family === 'class-images') {
    if (hasImagesAtTop(p)) throw new DataConfigError(key, `${p} holds images directly; labelled classification data is one sub-folder per class (${p}/<class>/*.png)`);
    return 'class-folders';
  }
  throw new DataConfigError(
    key,
    `${p} has no masks: labelled segmentation data is a folder with images/ and masks/ (one PNG mask per image, same name) or the VOC layout (JPEGImages/, SegmentationClass/, ImageSets/Segmentation/); images without masks go in data.unlabelled`,
  );
}

/**
 * A source spec (string or object) as a complete source object: an embedded name becomes `{ source: name }`, a path
 * gets its detected kind, and the kind's defaults are filled in. Paths become absolute, so a run can be evaluated and
 * resumed from any directory.
 */
export function resolveSpec(spec: SourceSpec, family: DataFamily, role: DataRole, key: string): SourceObject {
  let raw: Record<string, unknown>;
  if (typeof spec === 'string') {
    const name = embeddedName(spec);
    raw = name ? { source: name } : { source: detectKind(spec, family, role, key), path: spec };
  } else if (spec.source === undefined && typeof spec.path === 'string') {
    // `{ path, … }`: a path whose kind is detected (or an embedded name, from `--set data.labelled.perClass=…` on one).
    const { path: p, source: _none, ...options } = spec as Record<string, unknown> & { path: string };
    const name = embeddedName(p);
    raw = name && !fs.existsSync(p) ? { source: name, ...options } : { source: detectKind(p, family, role, key), path: p, ...options };
  } else raw = { ...spec };
  const kind = raw.source as keyof typeof SCHEMAS;
  const schema = SCHEMAS[kind];
  if (!schema) throw new DataConfigError(`${key}.source`, `unknown source ${JSON.stringify(kind)}; allowed: ${Object.keys(SCHEMAS).join(', ')}`);
  // Label-budget keys are checked by the section's schema; the kind's schema validates the rest.
  const { fraction: _f, count: _c, perClass: _k, ...rest } = raw;
  const out = validateAt(schema, rest, key) as SourceObject & { path?: string };
  if (typeof out.path === 'string') out.path = path.resolve(out.path);
  return out;
}
