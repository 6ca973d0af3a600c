import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { z } from 'zod';
import { holdoutSplit } from '@lel/datasets';
import { isDirectory, labelIndexer, loadMnistDigits, parseRows, readImage } from '@lel/datasets/node';
import { makeMilBags, type MilBag } from '@lel/vib';
import { validateAt } from '../config/validate';
import { DataConfigError, type DataRole } from './detect';
import { checkFingerprint, fingerprintIds, readDataManifest, writeDataManifest, type DataManifest, type PartRef, type SourceRecord } from './manifest';

/**
 * The `data:` section of the multiple-instance recipe (mil-ib): labelled BAGS of instances, the bag label known and
 * the instance labels not. Three sources: a folder of bag folders, a CSV/TSV table of instance features, or the
 * embedded bags of MNIST digits. Bags are small once pooled (an instance is (size/pool)²·channels numbers), so they
 * are read once and held in memory.
 */

const path_ = z.string().min(1).describe('a folder or file; relative paths are relative to the directory lel runs in');
const MinMax = z.tuple([z.number().int().min(1), z.number().int().min(1)]).refine(([lo, hi]) => lo <= hi, { message: '[min, max] needs min <= max' });

export const MnistBagsSpec = z
  .object({
    source: z.literal('mnist-bags'),
    positiveClass: z.number().int().min(0).max(9).default(9).describe('the digit whose presence makes a bag positive'),
    n: z.number().int().min(1).default(200).describe('training bags (from the digits\' train split)'),
    heldOut: z.number().int().min(0).default(200).describe('held-out bags from the test split (unseen digits): the dev part'),
    bagSize: MinMax.default([8, 16]).describe('instances per bag, uniformly in [min, max]'),
    positivesPerBag: MinMax.default([1, 2]).describe('positive instances in a positive bag, uniformly in [min, max] (capped at the bag size)'),
    positiveFraction: z.number().gt(0).lt(1).default(0.5).describe('share of positive bags'),
  })
  .strict()
  .describe('embedded bags of MNIST digits: positive when a digit of positiveClass is present');

export const BagFoldersSpec = z
  .object({ source: z.literal('bag-folders'), path: path_, limit: z.number().int().min(1).optional().describe('keep the first N bags (sorted by label, then name)') })
  .strict()
  .describe('bags of images: <path>/<label>/<bag>/*.png|jpg (one folder per bag label, one sub-folder per bag, one image per instance)');

export const BagTableSpec = z
  .object({
    source: z.enum(['bag-csv', 'bag-tsv']),
    path: path_,
    bag: z.string().min(1).default('bag').describe('column of the bag id'),
    label: z.string().min(1).default('label').describe('column of the bag label (the same on every row of a bag)'),
    features: z.array(z.string().min(1)).min(1).optional().describe('feature columns (default: every other column)'),
    delimiter: z.string().min(1).optional().describe('default comma (bag-csv) or tab (bag-tsv)'),
  })
  .strict()
  .describe('a table of instance features, one row per instance: bag id, bag label and the feature columns (e.g. patch embeddings of slides)');

const BagSourceObject = z.discriminatedUnion('source', [MnistBagsSpec, BagFoldersSpec, BagTableSpec]);
const BagSource = z.union([z.string().min(1).describe('a folder of bag folders, a .csv/.tsv table, or mnist-bags'), BagSourceObject]);
type BagSourceInput = z.output<typeof BagSource>;
export type BagSourceSpec = z.output<typeof BagSourceObject>;

export const MilData = z
  .object({
    labelled: BagSource.prefault({ source: 'mnist-bags' }).describe('labelled bags'),
    dev: z
      .union([z.literal('auto'), BagSource, z.null()])
      .default('auto')
      .describe('"auto": the source\'s held-out bags (embedded) or a stratified carve of data.devFraction; a source; or null'),
    test: z.union([BagSource, z.null()]).default(null).describe('bags reported at the end and never used for selection (a source); or data.testFraction'),
    devFraction: z.number().min(0).default(0.2).describe('with dev "auto" and no held-out bags in the source: the dev part carved from the labelled bags, a fraction or a count'),
    testFraction: z.number().min(0).default(0).describe('a test part carved from the labelled bags (fraction or count; 0 = none)'),
    stratify: z.boolean().default(true).describe('keep the bag-label proportions in every carved part'),
    classes: z.array(z.string().min(1)).min(2).optional().describe('bag label names in index order (default: sorted label folders / table labels)'),
    instance: z
      .object({
        size: z.number().int().min(1).default(28).describe('image instances are resized to size × size'),
        pool: z.number().int().min(1).default(2).describe('then average-pooled by pool (a divisor of size): (size/pool)²·channels features per instance'),
        channels: z.union([z.literal(1), z.literal(3)]).default(1).describe('1 = grey, 3 = RGB'),
      })
      .strict()
      .refine((i) => i.size % i.pool === 0, { message: 'instance.pool must divide instance.size' })
      .prefault({})
      .describe('how an image instance becomes features (image bags only)'),
    seed: z.number().int().min(0).default(0).describe('seed of the splits and of the embedded bags'),
  })
  .strict()
  .prefault({});
export type MilData = z.output<typeof MilData>;
export type InstanceOptions = MilData['instance'];

/** Where the keys of the former embedded-bags `data` section live now. */
export const MIL_DATA_MOVED: Record<string, string> = {
  'data.trainBags': 'moved to data.labelled.n (data.labelled: { source: mnist-bags, n, heldOut, positiveClass, bagSize, positivesPerBag, positiveFraction })',
  'data.valBags': 'moved to data.labelled.heldOut (the held-out bags of the embedded digits: the dev part)',
  'data.positiveClass': 'moved to data.labelled.positiveClass',
  'data.bagSize': 'moved to data.labelled.bagSize',
  'data.positivesPerBag': 'moved to data.labelled.positivesPerBag',
  'data.positiveFraction': 'moved to data.labelled.positiveFraction',
  'data.pool': 'moved to data.instance.pool',
};

/** Bags of one source, with their ids (fingerprinted so that a resumed or evaluated run sees the same bags). */
interface OpenedBags {
  bags: MilBag[];
  ids: string[];
  classNames: string[];
  description: string;
  heldOut?: { bags: MilBag[]; ids: string[]; description: string };
}

/** A run's bags: the label map, the parts, the instance dimension. */
export interface MilRunData {
  classNames: string[];
  dim: number;
  parts: Partial<Record<DataRole, MilBag[]>>;
  describe: string[];
}

const IMAGE_EXT = /\.(png|jpe?g)$/i;

/** Features of one image instance: read grey or RGB, resized to size × size, average-pooled (row-major, channels last). */
export async function instanceFeatures(image: { data: Float32Array; height: number; width: number; channels: number }, o: InstanceOptions): Promise<Float32Array> {
  const t = tf.tidy(() => {
    const x = tf.tensor4d(image.data, [1, image.height, image.width, image.channels]);
    const r = image.height === o.size && image.width === o.size ? x : tf.image.resizeBilinear(x, [o.size, o.size]);
    return o.pool === 1 ? r : tf.avgPool(r, o.pool, o.pool, 'valid');
  });
  const out = (await t.data()) as Float32Array;
  t.dispose();
  return out;
}

/** Features per instance of image bags. */
export const instanceDim = (o: InstanceOptions) => (o.size / o.pool) ** 2 * o.channels;

async function imageBag(files: string[], label: number, o: InstanceOptions): Promise<MilBag> {
  const dim = instanceDim(o);
  const features = new Float32Array(files.length * dim);
  for (const [i, f] of files.entries()) features.set(await instanceFeatures(readImage(f, { channels: o.channels }), o), i * dim);
  return { features, n: files.length, dim, label, positives: [] };
}

/** `<path>/<label>/<bag>/*.png`: every bag folder with its images, label folders in `classNames` order. */
async function openBagFolders(spec: z.output<typeof BagFoldersSpec>, o: InstanceOptions, key: string, classNames?: readonly string[]): Promise<OpenedBags> {
  const root = spec.path;
  const labelDirs = fs.readdirSync(root).filter((d) => isDirectory(path.join(root, d))).sort();
  if (labelDirs.length < 2) throw new DataConfigError(key, `${root} needs one sub-folder per bag label (at least 2), each holding one folder per bag: ${root}/<label>/<bag>/*.png`);
  const names = classNames ? [...classNames] : labelDirs;
  const unknown = labelDirs.filter((d) => !names.includes(d));
  if (unknown.length > 0) throw new DataConfigError(key, `${root}/${unknown[0]}: label folder not in data.classes [${names.join(', ')}]`);
  const entries: { id: string; files: string[]; label: number }[] = [];
  for (const d of labelDirs) {
    for (const b of fs.readdirSync(path.join(root, d)).sort()) {
      const dir = path.join(root, d, b);
      if (!isDirectory(dir)) {
        if (IMAGE_EXT.test(b)) throw new DataConfigError(key, `${dir}: an image directly in a label folder; each bag is a folder of its instance images (${root}/${d}/<bag>/*.png)`);
        continue;
      }
      const files = fs.readdirSync(dir).filter((f) => IMAGE_EXT.test(f)).sort().map((f) => path.join(dir, f));
      if (files.length === 0) throw new DataConfigError(key, `${dir}: the bag holds no PNG or JPEG image (one image per instance)`);
      entries.push({ id: `${d}/${b}`, files, label: names.indexOf(d) });
    }
  }
  const kept = spec.limit !== undefined ? entries.slice(0, spec.limit) : entries;
  if (kept.length === 0) throw new DataConfigError(key, `${root} holds no bag folder (${root}/<label>/<bag>/*.png)`);
  const bags: MilBag[] = [];
  for (const e of kept) bags.push(await imageBag(e.files, e.label, o));
  return { bags, ids: kept.map((e) => e.id), classNames: names, description: `${kept.length} bags of images in ${root} (${names.length} labels)` };
}

/**
 * A table of instance features: rows grouped into bags by the bag column, labels constant within a bag. With
 * `unlabelled` (predict) the label column may be absent and every bag gets label −1.
 */
export function openBagTable(spec: z.output<typeof BagTableSpec>, key: string, classNames?: readonly string[], unlabelled = false): OpenedBags {
  const file = spec.path;
  const delimiter = spec.delimiter ?? (spec.source === 'bag-tsv' ? '\t' : ',');
  const rows = parseRows(fs.readFileSync(file, 'utf8'), file, delimiter, spec.source === 'bag-tsv' ? null : '"');
  const header = rows.shift()?.fields;
  if (!header) throw new DataConfigError(key, `${file} is empty: a header row (bag, label, feature columns) and one row per instance`);
  const col = (name: string) => {
    const i = header.indexOf(name);
    if (i < 0) throw new DataConfigError(key, `${file}: no column "${name}" in the header (${header.join(', ')})`);
    return i;
  };
  const bagCol = col(spec.bag);
  const labelCol = unlabelled && !header.includes(spec.label) ? -1 : col(spec.label);
  const featureCols = spec.features ? spec.features.map(col) : header.map((_, i) => i).filter((i) => i !== bagCol && i !== labelCol);
  if (featureCols.length === 0) throw new DataConfigError(key, `${file}: no feature column`);
  const labels = labelCol < 0 ? { names: [...(classNames ?? [])], index: () => -1 } : labelIndexer(rows.map((r) => r.fields[labelCol] ?? ''), classNames ? [...classNames] : undefined, { file, where: (i) => `at line ${rows[i]!.line}` });
  const byBag = new Map<string, { rows: number[][]; label: number; line: number }>();
  for (const r of rows) {
    if (r.fields.length !== header.length) throw new DataConfigError(key, `${file}:${r.line}: ${r.fields.length} fields, the header has ${header.length}`);
    const id = r.fields[bagCol]!;
    const labelCell = labelCol < 0 ? '' : r.fields[labelCol]!;
    const label = labels.index(labelCell);
    if (label === undefined) throw new DataConfigError(key, `${file}:${r.line}: label "${labelCell}" is not one of [${labels.names.join(', ')}]`);
    const x = featureCols.map((c) => Number(r.fields[c]));
    const bad = x.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new DataConfigError(key, `${file}:${r.line}: column "${header[featureCols[bad]!]}" is not a finite number ("${r.fields[featureCols[bad]!]}")`);
    const bag = byBag.get(id);
    if (!bag) byBag.set(id, { rows: [x], label, line: r.line });
    else if (bag.label !== label) throw new DataConfigError(key, `${file}:${r.line}: bag "${id}" has label "${labelCell}" here and "${labels.names[bag.label]}" at line ${bag.line}; a bag has one label`);
    else bag.rows.push(x);
  }
  if (byBag.size === 0) throw new DataConfigError(key, `${file} has no instance row`);
  const dim = featureCols.length;
  const ids = [...byBag.keys()];
  const bags = ids.map((id) => {
    const b = byBag.get(id)!;
    const features = new Float32Array(b.rows.length * dim);
    b.rows.forEach((x, i) => features.set(x, i * dim));
    return { features, n: b.rows.length, dim, label: b.label, positives: [] } satisfies MilBag;
  });
  return { bags, ids, classNames: labels.names, description: `${bags.length} bags of ${dim}-feature instances in ${file}` };
}

/** Instance features of one split of the embedded digits, pooled as `instance` says (one batch per digit class). */
async function digitFeatures(split: 'train' | 'test', o: InstanceOptions): Promise<{ x: Float32Array; y: Int32Array; dim: number }> {
  const digits = loadMnistDigits(split);
  const dim = instanceDim({ ...o, channels: 1 });
  const n = digits.counts.reduce((a, b) => a + b, 0);
  const x = new Float32Array(n * dim);
  const y = new Int32Array(n);
  let i = 0;
  for (const [c, imgs] of digits.byClass.entries()) {
    const k = digits.counts[c]!;
    if (k === 0) continue;
    const t = tf.tidy(() => {
      const batch = tf.tensor4d(imgs.subarray(0, k * 784), [k, 28, 28, 1]);
      const r = o.size === 28 ? batch : tf.image.resizeBilinear(batch, [o.size, o.size]);
      return o.pool === 1 ? r : tf.avgPool(r, o.pool, o.pool, 'valid');
    });
    x.set((await t.data()) as Float32Array, i * dim);
    t.dispose();
    y.fill(c, i, i + k);
    i += k;
  }
  return { x, y, dim };
}

async function openMnistBags(spec: z.output<typeof MnistBagsSpec>, o: InstanceOptions, seed: number, key: string): Promise<OpenedBags> {
  if (o.channels !== 1) throw new DataConfigError('data.instance.channels', 'the embedded digits are grey: channels must be 1');
  const options = { positiveClass: spec.positiveClass, bagSize: spec.bagSize, positivesPerBag: spec.positivesPerBag, positiveFraction: spec.positiveFraction };
  const tr = await digitFeatures('train', o);
  const bags = makeMilBags(tr.x, tr.y, tr.dim, { ...options, numBags: spec.n, seed: `lel/mil-train/${seed}` });
  const what = `embedded MNIST digits in bags of ${spec.bagSize[0]}–${spec.bagSize[1]}, positive when a ${spec.positiveClass} is present`;
  const out: OpenedBags = { bags, ids: bags.map((_, i) => `train/${i}`), classNames: ['negative', `contains ${spec.positiveClass}`], description: `${spec.n} training bags of ${what}` };
  if (spec.heldOut > 0) {
    const te = await digitFeatures('test', o);
    const held = makeMilBags(te.x, te.y, te.dim, { ...options, numBags: spec.heldOut, seed: `lel/mil-val/${seed}` });
    const pos = held.filter((b) => b.label === 1).length;
    if (pos === 0 || pos === held.length) throw new DataConfigError(`${key}.heldOut`, `${spec.heldOut} held-out bags with positiveFraction ${spec.positiveFraction} give no ${pos === 0 ? 'positive' : 'negative'} bag; raise heldOut`);
    out.heldOut = { bags: held, ids: held.map((_, i) => `held-out/${i}`), description: `${spec.heldOut} held-out bags (test split of the digits)` };
  }
  return out;
}

/** A source given as a string: an embedded name, a folder of bag folders, or a .csv/.tsv table. */
export function resolveBagSpec(spec: BagSourceInput, key: string): BagSourceSpec {
  let raw: Record<string, unknown>;
  if (typeof spec === 'string') {
    if (spec === 'mnist-bags') raw = { source: 'mnist-bags' };
    else if (!fs.existsSync(spec)) throw new DataConfigError(key, `${spec} does not exist (a path is read relative to ${process.cwd()})`);
    else if (isDirectory(spec)) raw = { source: 'bag-folders', path: spec };
    else if (/\.csv$/i.test(spec)) raw = { source: 'bag-csv', path: spec };
    else if (/\.tsv$/i.test(spec)) raw = { source: 'bag-tsv', path: spec };
    else throw new DataConfigError(key, `${spec} is a file of unknown kind: bags are a folder (<label>/<bag>/*.png) or a .csv / .tsv table of instance features`);
  } else raw = { ...spec };
  const out = validateAt(BagSourceObject, raw, key) as BagSourceSpec;
  if ('path' in out) {
    out.path = path.resolve(out.path);
    if (!fs.existsSync(out.path)) throw new DataConfigError(key, `${out.path} does not exist`);
  }
  return out;
}

async function openBags(spec: BagSourceSpec, section: MilData, key: string, classNames?: readonly string[]): Promise<OpenedBags> {
  switch (spec.source) {
    case 'mnist-bags':
      return openMnistBags(spec, section.instance, section.seed, key);
    case 'bag-folders':
      return openBagFolders(spec, section.instance, key, classNames);
    default:
      return openBagTable(spec, key, classNames);
  }
}

const record = (spec: BagSourceSpec, part: 'main' | 'held-out', ids: string[], description: string): SourceRecord => ({
  spec: spec as never,
  part,
  length: ids.length,
  fingerprint: fingerprintIds(ids),
  description,
});

/**
 * The bags of a run from its `data:` section: opens each source (checking its layout, naming the file and problem),
 * carves the dev / test parts (stratified by bag label, seeded by `data.seed`) unless the source has held-out bags or
 * the section names its own, and records the label map and split in `<run>/data/` (read back on resume, eval and
 * predict, after checking that no source's bag list changed).
 */
export async function resolveMilData(section: MilData, options: { runDir?: string } = {}): Promise<MilRunData> {
  const existing = options.runDir ? readDataManifest(options.runDir) : undefined;
  if (existing) return fromManifest(existing, section);
  const sources: Record<string, { opened: OpenedBags; record: SourceRecord; bags: MilBag[] }> = {};
  const open = async (name: string, raw: BagSourceInput, key: string, classNames?: readonly string[]) => {
    const spec = resolveBagSpec(raw, key);
    const opened = await openBags(spec, section, key, classNames);
    sources[name] = { opened, bags: opened.bags, record: record(spec, 'main', opened.ids, opened.description) };
    if (opened.heldOut) sources[`${name}/held-out`] = { opened, bags: opened.heldOut.bags, record: record(spec, 'held-out', opened.heldOut.ids, opened.heldOut.description) };
    return opened;
  };
  const trainSpec = resolveBagSpec(section.labelled, 'data.labelled');
  const train = await open('train', trainSpec, 'data.labelled', section.classes);
  const classNames = section.classes ? [...section.classes] : train.classNames;
  const labels = Int32Array.from(train.bags, (b) => b.label);
  const carveDev = section.dev === 'auto' && !train.heldOut;
  const split = holdoutSplit({ n: train.bags.length, labels, dev: carveDev ? section.devFraction : 0, test: section.testFraction, stratified: section.stratify, seed: section.seed });
  const parts: Partial<Record<DataRole, PartRef[]>> = { labelled: [{ source: 'train', indices: split.train }] };
  if (section.dev === 'auto') {
    if (train.heldOut) parts.dev = [{ source: 'train/held-out', indices: train.heldOut.bags.map((_, i) => i) }];
    else if (split.dev.length > 0) parts.dev = [{ source: 'train', indices: split.dev }];
  } else if (section.dev !== null) {
    const dev = await open('dev', section.dev, 'data.dev', classNames);
    parts.dev = [{ source: 'dev', indices: dev.bags.map((_, i) => i) }];
  }
  if (split.test.length > 0) parts.test = [{ source: 'train', indices: split.test }];
  if (section.test !== null) {
    const test = await open('test', section.test, 'data.test', classNames);
    parts.test = [{ source: 'test', indices: test.bags.map((_, i) => i) }];
  }
  const first = train.bags[0]!;
  const manifest: DataManifest = {
    format: 'lel-data',
    version: 1,
    family: 'mil',
    classNames,
    // Image bags record how an instance was read (predict reads its images the same way).
    ...(trainSpec.source === 'bag-folders' || trainSpec.source === 'mnist-bags' ? { input: { height: section.instance.size, width: section.instance.size, channels: section.instance.channels } } : {}),
    sources: Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, v.record])),
    parts,
  };
  for (const [name, s] of Object.entries(sources)) {
    const bad = s.bags.findIndex((b) => b.dim !== first.dim);
    if (bad >= 0) throw new DataConfigError(name === 'train' ? 'data.labelled' : `data.${name.replace(/\/held-out$/, '')}`, `${s.opened.description}: bag ${s.opened.ids[bad]} has ${s.bags[bad]!.dim} features per instance, the labelled bags ${first.dim}`);
  }
  if (options.runDir) writeDataManifest(options.runDir, manifest);
  return assemble(manifest, Object.fromEntries(Object.entries(sources).map(([k, v]) => [k, v.bags])), first.dim);
}

async function fromManifest(manifest: DataManifest, section: MilData): Promise<MilRunData> {
  if (manifest.family !== 'mil') throw new Error(`the run's data/split.json is for ${manifest.family} data, not bags`);
  const bags: Record<string, MilBag[]> = {};
  const byMain = new Map<string, OpenedBags>();
  for (const [name, rec] of Object.entries(manifest.sources)) {
    const main = name.replace(/\/held-out$/, '');
    let o = byMain.get(main);
    if (!o) {
      o = await openBags(rec.spec as unknown as BagSourceSpec, section, `data (${name})`, manifest.classNames);
      byMain.set(main, o);
    }
    const part = rec.part === 'held-out' ? o.heldOut : { bags: o.bags, ids: o.ids };
    if (!part) throw new Error(`the ${name} bags have no held-out part any more (${rec.description})`);
    checkFingerprint(name, rec, part.ids.length, fingerprintIds(part.ids));
    bags[name] = part.bags;
  }
  return assemble(manifest, bags, bags.train![0]!.dim);
}

function assemble(manifest: DataManifest, sources: Record<string, MilBag[]>, dim: number): MilRunData {
  const parts: Partial<Record<DataRole, MilBag[]>> = {};
  const describe: string[] = [];
  for (const [role, refs] of Object.entries(manifest.parts) as [DataRole, PartRef[]][]) {
    const r = refs[0];
    if (!r) continue;
    parts[role] = r.indices.map((i) => sources[r.source]![i]!);
    describe.push(`${role}: ${r.indices.length} of ${manifest.sources[r.source]!.description}`);
  }
  describe.push(`bag labels: ${manifest.classNames.join(', ')}; ${dim} features per instance`);
  return { classNames: manifest.classNames, dim, parts, describe };
}

