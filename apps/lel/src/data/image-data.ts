import type { Rng } from '@lel/core';
import {
  holdoutSplit,
  labelledSubset,
  rarestClassLabels,
  scanMasks,
  streamImageBatches,
  unlabelledPool,
  type ImageBatchArrays,
  type ImageSource,
  type ResizeMode,
  type SampleAugment,
} from '@lel/datasets';
import { DataConfigError, resolveSpec, type DataRole } from './detect';
import { checkFingerprint, fingerprintIds, readDataManifest, writeDataManifest, type DataManifest, type PartRef, type SourceRecord } from './manifest';
import { openImageSource } from './open-image-source';
import type { ClassImageData, ClusteringData, SegmentationData } from './sections';
import { labelBudget } from './budget';
import type { SourceObject, SourceSpec } from './specs';

/** Image data families: what the labelled part carries and how the dev part is scored. */
export type ImageFamily = 'segmentation' | 'clustering' | 'few-shot';

/** One part of a run's data: samples of one source (several sources are pooled into one unlabelled source). */
export interface ImagePart {
  source: ImageSource;
  indices: number[];
  description: string;
}

/** A run's image data, resolved: parts stream from disk (or embedded memory) in batches at the model's input size. */
export interface ImageData {
  family: ImageFamily;
  /** The label map (few-shot: the training classes; the dev part has its own, see `devClassNames`). */
  classNames: string[];
  /** Few-shot: the held-out classes of the dev part. */
  devClassNames?: string[];
  input: { height: number; width: number; channels: 1 | 3 };
  resize: ResizeMode;
  prefetch: number;
  parts: Partial<Record<DataRole, ImagePart>>;
  /** One line per part, for the log. */
  describe: string[];
}

/** Options of {@link imageBatches}. */
export interface PartBatchOptions {
  batchSize: number;
  /** The pass's generator (`fit`'s per-epoch one): shuffles and places random crops. Absent: in order, centred. */
  rng?: Rng;
  dropLast?: boolean;
  augment?: SampleAugment;
}

/** One pass over a part in batches (decoded on demand; see `streamImageBatches`). */
export function imageBatches(data: ImageData, role: DataRole, options: PartBatchOptions): AsyncGenerator<ImageBatchArrays> {
  const part = data.parts[role];
  if (!part) throw new Error(`the run's data has no ${role} part`);
  const numClasses = role === 'dev' && data.devClassNames ? data.devClassNames.length : data.classNames.length;
  return streamImageBatches(part.source, part.indices, {
    batchSize: options.batchSize,
    size: { height: data.input.height, width: data.input.width },
    channels: data.input.channels,
    resize: data.resize,
    prefetch: data.prefetch,
    ...(part.source.kind === 'segmentation' ? { numClasses } : {}),
    ...(options.rng ? { rng: options.rng } : {}),
    ...(options.dropLast ? { dropLast: true } : {}),
    ...(options.augment ? { augment: options.augment } : {}),
  });
}

/** Options of {@link resolveImageData}. */
export interface ResolveOptions {
  /** The run folder: its `data/` manifest is read when present (resume, eval) and written otherwise. */
  runDir?: string;
  /** Progress lines (mask scans). */
  log?: (line: string) => void;
}

type AnyImageSection = SegmentationData | ClusteringData | ClassImageData;

const universe = (source: ImageSource, spec: SourceObject) => Array.from({ length: 'limit' in spec && spec.limit !== undefined ? Math.min(spec.limit, source.length) : source.length }, (_, i) => i);

function record(spec: SourceObject, part: 'main' | 'held-out', source: ImageSource): SourceRecord {
  return { spec, part, length: source.length, fingerprint: fingerprintIds(Array.from({ length: source.length }, (_, i) => source.id(i))), description: source.description };
}

function sizeOf(section: AnyImageSection): { height: number; width: number } {
  return typeof section.size === 'number' ? { height: section.size, width: section.size } : { height: section.size[0], width: section.size[1] };
}

/** Checks that a labelled part's source carries what the family needs, naming the key otherwise. */
function requireKind(source: ImageSource, family: ImageFamily, key: string): void {
  const need = family === 'few-shot' ? 'classification' : 'segmentation';
  if (source.kind !== need) {
    const what = need === 'segmentation' ? 'masks (an images/ + masks/ folder, or the VOC layout)' : 'class labels (one sub-folder per class)';
    throw new DataConfigError(key, `${source.description} has no ${need === 'segmentation' ? 'masks' : 'labels'}: this part needs ${what}`);
  }
}

/**
 * Resolves an image `data:` section into streaming parts: detects and opens each source (validating its layout),
 * scans the labelled masks when the label map or a stratified split needs it, carves the dev / test parts and the
 * label budget (stratified, seeded by `data.seed`), and pools the labelled source's unused samples with
 * `data.unlabelled`. With `runDir`, the split and label map are written to `<run>/data/` on the first call and read
 * back on later ones (resume, eval, predict), after checking that no source's file list changed.
 */
export async function resolveImageData(section: AnyImageSection, family: ImageFamily, options: ResolveOptions = {}): Promise<ImageData> {
  const log = options.log ?? (() => undefined);
  const { height, width } = sizeOf(section);
  const input = { height, width, channels: section.channels };
  const ctx = (key: string, classNames?: readonly string[]) => ({ size: height, seed: section.seed, key, ...(classNames ? { classNames } : {}) });
  const existing = options.runDir ? readDataManifest(options.runDir) : undefined;
  if (existing) return fromManifest(existing, section, family, input);

  const sources: Record<string, { source: ImageSource; record: SourceRecord }> = {};
  const open = (name: string, spec: SourceObject, key: string, classNames?: readonly string[]) => {
    const opened = openImageSource(spec, ctx(key, classNames));
    sources[name] = { source: opened.main, record: record(spec, 'main', opened.main) };
    if (opened.heldOut) sources[`${name}/held-out`] = { source: opened.heldOut, record: record(spec, 'held-out', opened.heldOut) };
    return opened;
  };
  const parts: Partial<Record<DataRole, PartRef[]>> = {};
  let classNames: string[] | undefined = 'classes' in section && section.classes ? [...section.classes] : undefined;
  let devClassNames: string[] | undefined;

  // The training source: labelled (segmentation, few-shot) or unlabelled (clustering).
  const trainRole: DataRole = family === 'clustering' ? 'unlabelled' : 'labelled';
  const trainKey = `data.${trainRole}`;
  const trainSpecRaw = family === 'clustering' ? (section as ClusteringData).unlabelled : (section as SegmentationData | ClassImageData).labelled;
  const trainSpec = resolveSpec(trainSpecRaw, family === 'few-shot' ? 'class-images' : 'segmentation', trainRole, trainKey);
  const train = open('train', trainSpec, trainKey, classNames);
  if (family !== 'clustering') requireKind(train.main, family, trainKey);
  classNames ??= train.main.classNames ? [...train.main.classNames] : undefined;
  const all = universe(train.main, trainSpec);
  const budget = family === 'clustering' ? {} : labelBudget(trainSpecRaw as SourceSpec);
  const devIsAuto = section.dev === 'auto';
  const carveDev = devIsAuto && !train.heldOut && family !== 'few-shot' && train.main.kind !== 'unlabelled';
  const testFraction = 'testFraction' in section ? section.testFraction : 0;
  const splitting = (carveDev && section.devFraction > 0) || testFraction > 0 || Object.keys(budget).length > 0;

  // Stratification labels: class labels, or the rarest class of each mask (found by a scan that also validates).
  let strat: Int32Array | undefined = train.main.labels ? Int32Array.from(all, (i) => train.main.labels![i]!) : undefined;
  if (train.main.kind === 'segmentation' && (classNames === undefined || (section.stratify && splitting))) {
    log(`[data] scanning ${all.length} masks of ${train.main.description}`);
    const scan = await scanMasks(train.main, all, classNames ? { numClasses: classNames.length } : {});
    if (!classNames) {
      if (scan.numClasses < 2) throw new DataConfigError(trainKey, `the masks of ${train.main.description} hold ${scan.numClasses === 0 ? 'no labelled pixel' : 'a single class'}; give data.classes or check the masks`);
      classNames = Array.from({ length: scan.numClasses }, (_, c) => String(c));
    }
    strat = rarestClassLabels(scan);
  }
  const split = holdoutSplit({ n: all.length, ...(strat ? { labels: strat } : {}), dev: carveDev ? section.devFraction : 0, test: testFraction, stratified: section.stratify, seed: section.seed });
  const pick = (positions: number[]) => positions.map((j) => all[j]!);

  if (family === 'clustering') {
    parts.unlabelled = [{ source: 'train', indices: pick(split.train) }];
  } else {
    const sub = labelledSubset(split.train, budget, { ...(strat ? { labels: strat } : {}), stratified: section.stratify, seed: section.seed });
    parts.labelled = [{ source: 'train', indices: pick(sub.labelled) }];
    const unlabelled: PartRef[] = sub.unlabelled.length > 0 ? [{ source: 'train', indices: pick(sub.unlabelled) }] : [];
    const u = (section as SegmentationData).unlabelled;
    if (family === 'segmentation' && u !== null && u !== undefined) {
      const spec = resolveSpec(u, 'segmentation', 'unlabelled', 'data.unlabelled');
      const opened = open('unlabelled', spec, 'data.unlabelled');
      unlabelled.push({ source: 'unlabelled', indices: universe(opened.main, spec) });
    }
    if (unlabelled.length > 0) parts.unlabelled = unlabelled;
  }
  if (split.test.length > 0) parts.test = [{ source: 'train', indices: pick(split.test) }];

  // The dev part: the source's held-out part, a carve, or a source of its own.
  const heldOutFamily = family === 'few-shot' ? 'class-images' : 'segmentation';
  if (devIsAuto) {
    if (train.heldOut) parts.dev = [{ source: 'train/held-out', indices: Array.from({ length: train.heldOut.length }, (_, i) => i) }];
    else if (split.dev.length > 0) parts.dev = [{ source: 'train', indices: pick(split.dev) }];
    else if (family === 'few-shot') throw new DataConfigError('data.dev', `few-shot evaluation needs classes that are not in data.labelled: give a class-folders source of other classes (${train.main.description} has no held-out classes)`);
  } else if (section.dev !== null) {
    const spec = resolveSpec(section.dev, heldOutFamily, 'dev', 'data.dev');
    // Few-shot dev classes are new classes with their own names; otherwise the dev part uses the training label map.
    const opened = open('dev', spec, 'data.dev', family === 'few-shot' ? undefined : classNames);
    requireKind(opened.main, family === 'clustering' ? 'segmentation' : family, 'data.dev');
    parts.dev = [{ source: 'dev', indices: universe(opened.main, spec) }];
  }
  if ('test' in section && section.test !== null && section.test !== 'auto') {
    const spec = resolveSpec(section.test, heldOutFamily, 'test', 'data.test');
    const opened = open('test', spec, 'data.test', family === 'few-shot' ? undefined : classNames);
    requireKind(opened.main, family, 'data.test');
    parts.test = [{ source: 'test', indices: universe(opened.main, spec) }];
  }
  if (family === 'few-shot' && parts.dev) devClassNames = [...(sources[parts.dev[0]!.source]!.source.classNames ?? [])];
  if (family === 'clustering' && parts.dev && !classNames) {
    const dev = sources[parts.dev[0]!.source]!.source;
    classNames = dev.classNames ? [...dev.classNames] : undefined;
    if (!classNames) {
      const scan = await scanMasks(dev, parts.dev[0]!.indices);
      classNames = Array.from({ length: Math.max(2, scan.numClasses) }, (_, c) => String(c));
    }
  }
  if (!classNames) classNames = [];

  const manifest: DataManifest = {
    format: 'lel-data',
    version: 1,
    family,
    classNames,
    input,
    sources: Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, v.record])),
    parts,
  };
  if (options.runDir) writeDataManifest(options.runDir, manifest);
  return assemble(manifest, Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, v.source])), section, family, devClassNames);
}

/** Re-opens the sources a manifest names (checking they did not change) and rebuilds the parts it recorded. */
function fromManifest(manifest: DataManifest, section: AnyImageSection, family: ImageFamily, input: ImageData['input']): ImageData {
  if (manifest.family !== family) throw new Error(`the run's data/split.json is for ${manifest.family} data, not ${family}`);
  const opened = new Map<string, ImageSource>();
  const byMain = new Map<string, ReturnType<typeof openImageSource>>();
  for (const [name, rec] of Object.entries(manifest.sources)) {
    const mainName = name.replace(/\/held-out$/, '');
    let o = byMain.get(mainName);
    if (!o) {
      const classNames = family === 'few-shot' && mainName !== 'train' ? undefined : manifest.classNames.length > 0 ? manifest.classNames : undefined;
      o = openImageSource(rec.spec, { size: input.height, seed: section.seed, key: `data (${name})`, ...(classNames ? { classNames } : {}) });
      byMain.set(mainName, o);
    }
    const source = rec.part === 'held-out' ? o.heldOut : o.main;
    if (!source) throw new Error(`the ${name} data has no held-out part any more (${rec.description})`);
    checkFingerprint(name, rec, source.length, fingerprintIds(Array.from({ length: source.length }, (_, i) => source.id(i))));
    opened.set(name, source);
  }
  const devRef = manifest.parts.dev?.[0];
  const devClassNames = family === 'few-shot' && devRef ? [...(opened.get(devRef.source)?.classNames ?? [])] : undefined;
  return assemble({ ...manifest, input }, Object.fromEntries(opened), section, family, devClassNames);
}

function assemble(manifest: DataManifest, sources: Record<string, ImageSource>, section: AnyImageSection, family: ImageFamily, devClassNames: string[] | undefined): ImageData {
  const parts: Partial<Record<DataRole, ImagePart>> = {};
  for (const [role, refs] of Object.entries(manifest.parts) as [DataRole, PartRef[]][]) {
    if (refs.length === 0) continue;
    const src = (r: PartRef) => sources[r.source]!;
    if (role === 'unlabelled') {
      const pool = unlabelledPool(refs.map((r) => ({ source: src(r), indices: r.indices })));
      parts.unlabelled = { source: pool, indices: Array.from({ length: pool.length }, (_, i) => i), description: refs.map((r) => `${r.indices.length} of ${src(r).description}`).join(' + ') };
    } else {
      const r = refs[0]!;
      parts[role] = { source: src(r), indices: r.indices, description: `${r.indices.length} of ${src(r).description}` };
    }
  }
  const describe = (Object.entries(parts) as [DataRole, ImagePart][]).map(([role, p]) => `${role}: ${p.description}`);
  describe.push(`classes: ${manifest.classNames.length} (${manifest.classNames.slice(0, 12).join(', ')}${manifest.classNames.length > 12 ? ', …' : ''}); input ${manifest.input!.height}×${manifest.input!.width}×${manifest.input!.channels} (${section.resize})`);
  return {
    family,
    classNames: manifest.classNames,
    ...(devClassNames ? { devClassNames } : {}),
    input: manifest.input!,
    resize: section.resize,
    prefetch: section.prefetch,
    parts,
    describe,
  };
}
