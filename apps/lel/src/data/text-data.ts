import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import { holdoutSplit, labelledSubset, type TextClassificationData } from '@lel/datasets';
import { loadDelimited, loadJsonl, loadSpam, sentimentDomainShift } from '@lel/datasets/node';
import { DataConfigError, resolveSpec, type DataRole } from './detect';
import { checkFingerprint, fingerprintIds, readDataManifest, writeDataManifest, type DataManifest, type PartRef, type SourceRecord } from './manifest';
import type { TextData as TextSection } from './sections';
import { labelBudget } from './budget';
import type { SourceObject, SourceSpec } from './specs';

/** A run's text data, resolved: every part in memory (texts are small; batches are tokenised on demand). */
export interface TextData {
  /** The label map: label names in index order. */
  labelNames: string[];
  parts: Partial<Record<DataRole, TextClassificationData>>;
  /** One line per part, for the log. */
  describe: string[];
}

interface OpenedText {
  main: TextClassificationData;
  heldOut?: TextClassificationData;
  description: string;
  fingerprint: string;
}

const subset = (d: TextClassificationData, idx: readonly number[]): TextClassificationData => ({
  texts: idx.map((i) => d.texts[i]!),
  ...(d.textsB ? { textsB: idx.map((i) => d.textsB![i]!) } : {}),
  labels: Int32Array.from(idx, (i) => d.labels[i]!),
  labelNames: d.labelNames,
});

const firstN = (d: TextClassificationData, limit: number | undefined) => (limit === undefined || limit >= d.texts.length ? d : subset(d, Array.from({ length: limit }, (_, i) => i)));

const fileHash = (p: string) => createHash('sha256').update(fs.readFileSync(p)).digest('hex');

/** Loads a text source (a file, with the label map when given, or embedded data). */
function openTextSource(spec: SourceObject, labelNames: readonly string[] | undefined, seed: number, key: string): OpenedText {
  const names = labelNames ? { labelNames: [...labelNames] } : {};
  switch (spec.source) {
    case 'csv':
    case 'tsv': {
      const d = loadDelimited(spec.path, {
        textColumn: spec.text,
        labelColumn: spec.label,
        header: spec.header,
        ...(spec.textB !== undefined ? { textBColumn: spec.textB } : {}),
        delimiter: spec.delimiter ?? (spec.source === 'tsv' ? '\t' : ','),
        quote: spec.quote !== undefined ? spec.quote : spec.source === 'tsv' ? null : '"',
        ...names,
      });
      return { main: firstN(d, spec.limit), description: `${spec.source.toUpperCase()} ${spec.path}`, fingerprint: fileHash(spec.path) };
    }
    case 'jsonl': {
      const d = loadJsonl(spec.path, { textField: spec.text, labelField: spec.label, ...(spec.textB !== undefined ? { textBField: spec.textB } : {}), ...names });
      return { main: firstN(d, spec.limit), description: `JSONL ${spec.path}`, fingerprint: fileHash(spec.path) };
    }
    case 'sentiment': {
      const shift = sentimentDomainShift({ source: spec.domain, seed });
      const heldOut = spec.heldOut > 0 ? firstN(shift.inDomainTest, spec.heldOut) : undefined;
      return { main: shift.train, ...(heldOut ? { heldOut } : {}), description: `embedded ${spec.domain} reviews`, fingerprint: fingerprintIds([JSON.stringify(spec), String(seed)]) };
    }
    case 'spam': {
      const { groups: _g, ...d } = loadSpam({ ...(spec.groups ? { groups: spec.groups } : {}), maxChars: spec.maxChars });
      return { main: firstN(d, spec.limit), description: 'embedded SpamAssassin e-mails', fingerprint: fingerprintIds([JSON.stringify(spec)]) };
    }
    default:
      throw new DataConfigError(key, `a ${spec.source} source holds images, not text`);
  }
}

/** The same texts relabelled to another label map (a source read before the map was known). */
function relabel(d: TextClassificationData, to: readonly string[], what: string): TextClassificationData {
  if (d.labelNames.length === to.length && d.labelNames.every((n, i) => n === to[i])) return d;
  const index = new Map(to.map((n, i) => [n, i]));
  const labels = Int32Array.from(d.labels, (y) => {
    const name = d.labelNames[y]!;
    const j = index.get(name);
    if (j === undefined) throw new DataConfigError(what, `label "${name}" is not in the label map [${to.join(', ')}]`);
    return j;
  });
  return { ...d, labels, labelNames: [...to] };
}

/**
 * Resolves a text `data:` section: loads the labelled source (inferring the label map unless `data.labels` gives it),
 * the dev and test parts with that label map (an unknown label fails naming the file and line), carves stratified
 * dev / test parts when asked, and keeps the label budget (e.g. 16 per class). With `runDir`, the split and label map
 * are written to `<run>/data/` once and read back later (resume, eval, predict).
 */
export function resolveTextData(section: TextSection, options: { runDir?: string } = {}): TextData {
  const existing = options.runDir ? readDataManifest(options.runDir) : undefined;
  if (existing) return fromManifest(existing, section);
  const records: Record<string, SourceRecord> = {};
  const data: Record<string, TextClassificationData> = {};
  const open = (name: string, raw: SourceSpec, role: DataRole, labelNames: readonly string[] | undefined) => {
    const spec = resolveSpec(raw, 'text', role, `data.${role}`);
    const o = openTextSource(spec, labelNames, section.seed, `data.${role}`);
    data[name] = o.main;
    records[name] = { spec, part: 'main', length: o.main.texts.length, fingerprint: o.fingerprint, description: o.description };
    if (o.heldOut) {
      data[`${name}/held-out`] = o.heldOut;
      records[`${name}/held-out`] = { spec, part: 'held-out', length: o.heldOut.texts.length, fingerprint: o.fingerprint, description: `${o.description} (held-out)` };
    }
    return o;
  };
  const train = open('train', section.labelled, 'labelled', section.labels);
  const labelNames = section.labels ? [...section.labels] : train.main.labelNames;
  for (const k of Object.keys(data)) data[k] = relabel(data[k]!, labelNames, 'data.labelled');
  const n = train.main.texts.length;
  const carveDev = section.dev === 'auto' && !train.heldOut;
  const split = holdoutSplit({ n, labels: train.main.labels, dev: carveDev ? section.devFraction : 0, test: section.testFraction, stratified: section.stratify, seed: section.seed });
  const sub = labelledSubset(split.train, labelBudget(section.labelled), { labels: train.main.labels, stratified: section.stratify, seed: section.seed });
  const parts: Partial<Record<DataRole, PartRef[]>> = { labelled: [{ source: 'train', indices: sub.labelled }] };
  if (sub.unlabelled.length > 0) parts.unlabelled = [{ source: 'train', indices: sub.unlabelled }];
  if (split.test.length > 0) parts.test = [{ source: 'train', indices: split.test }];
  if (section.dev === 'auto') {
    if (train.heldOut) parts.dev = [{ source: 'train/held-out', indices: Array.from({ length: train.heldOut.texts.length }, (_, i) => i) }];
    else if (split.dev.length > 0) parts.dev = [{ source: 'train', indices: split.dev }];
  } else if (section.dev !== null) {
    const d = open('dev', section.dev, 'dev', labelNames);
    parts.dev = [{ source: 'dev', indices: Array.from({ length: d.main.texts.length }, (_, i) => i) }];
  }
  if (section.test !== null && section.test !== 'auto') {
    const t = open('test', section.test, 'test', labelNames);
    parts.test = [{ source: 'test', indices: Array.from({ length: t.main.texts.length }, (_, i) => i) }];
  }
  const manifest: DataManifest = { format: 'lel-data', version: 1, family: 'text', classNames: labelNames, sources: records, parts };
  if (options.runDir) writeDataManifest(options.runDir, manifest);
  return assemble(manifest, data);
}

function fromManifest(manifest: DataManifest, section: TextSection): TextData {
  if (manifest.family !== 'text') throw new Error(`the run's data/split.json is for ${manifest.family} data, not text`);
  const data: Record<string, TextClassificationData> = {};
  for (const [name, rec] of Object.entries(manifest.sources)) {
    const o = openTextSource(rec.spec, name === 'train' || name === 'train/held-out' ? (section.labels ?? undefined) : manifest.classNames, section.seed, `data (${name})`);
    const d = rec.part === 'held-out' ? o.heldOut : o.main;
    if (!d) throw new Error(`the ${name} data has no held-out part any more (${rec.description})`);
    checkFingerprint(name, rec, d.texts.length, o.fingerprint);
    data[name] = relabel(d, manifest.classNames, `data (${name})`);
  }
  return assemble(manifest, data);
}

function assemble(manifest: DataManifest, data: Record<string, TextClassificationData>): TextData {
  const parts: Partial<Record<DataRole, TextClassificationData>> = {};
  const describe: string[] = [];
  for (const [role, refs] of Object.entries(manifest.parts) as [DataRole, PartRef[]][]) {
    const r = refs[0];
    if (!r) continue;
    parts[role] = subset(data[r.source]!, r.indices);
    describe.push(`${role}: ${r.indices.length} of ${manifest.sources[r.source]!.description}`);
  }
  describe.push(`labels: ${manifest.classNames.join(', ')}`);
  return { labelNames: manifest.classNames, parts, describe };
}
