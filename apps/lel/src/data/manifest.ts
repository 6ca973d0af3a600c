import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '@lel/core/node';
import type { DataRole } from './detect';
import type { SourceObject } from './specs';

/** Folder of a run that records its data: `labels.json` (the label map) and `split.json` (sources and split). */
export const DATA_DIR = 'data';

/** One source a run read, as resolved (absolute paths, defaults filled in), with a fingerprint of its contents list. */
export interface SourceRecord {
  spec: SourceObject;
  /** Which part of the source: its main samples or its own held-out part. */
  part: 'main' | 'held-out';
  length: number;
  /** SHA-256 of the sample ids in order (file paths), or of the file's bytes for text files. */
  fingerprint: string;
  description: string;
}

/** Samples of one source in a data part. */
export interface PartRef {
  source: string;
  indices: number[];
}

/**
 * What a run trained and evaluated on: the label map, the sources and the indices of every part. Written once when a
 * run starts; `--resume`, `lel eval` and `lel predict` read it, so they use the same mapping and split even when run
 * from another directory, and refuse a source whose contents list changed.
 */
export interface DataManifest {
  format: 'lel-data';
  version: 1;
  /** `segmentation`, `clustering`, `few-shot` or `text`. */
  family: string;
  /** Class names in label order (the label map). */
  classNames: string[];
  /** Image recipes: the model input. */
  input?: { height: number; width: number; channels: 1 | 3 };
  sources: Record<string, SourceRecord>;
  parts: Partial<Record<DataRole, PartRef[]>>;
}

/** SHA-256 (hex) of a list of ids, one per line, prefixed by their count. */
export function fingerprintIds(ids: Iterable<string>): string {
  const h = createHash('sha256');
  let n = 0;
  for (const id of ids) {
    h.update(id);
    h.update('\n');
    n++;
  }
  h.update(`#${n}`);
  return h.digest('hex');
}

/** Write `data/labels.json` and `data/split.json` atomically. */
export function writeDataManifest(runDir: string, manifest: DataManifest): void {
  const dir = path.join(runDir, DATA_DIR);
  fs.mkdirSync(dir, { recursive: true });
  writeFileAtomicSync(path.join(dir, 'labels.json'), `${JSON.stringify({ family: manifest.family, classNames: manifest.classNames, ...(manifest.input ? { input: manifest.input } : {}) }, null, 2)}\n`);
  writeFileAtomicSync(path.join(dir, 'split.json'), `${JSON.stringify(manifest)}\n`);
}

/** A run's data manifest, or undefined when the run has none yet (a fresh run, or one from before data sections). */
export function readDataManifest(runDir: string): DataManifest | undefined {
  const file = path.join(runDir, DATA_DIR, 'split.json');
  if (!fs.existsSync(file)) return undefined;
  let m: Partial<DataManifest>;
  try {
    m = JSON.parse(fs.readFileSync(file, 'utf8')) as Partial<DataManifest>;
  } catch (e) {
    throw new Error(`${file}: unreadable data manifest (${(e as Error).message})`);
  }
  if (m.format !== 'lel-data' || m.version !== 1 || !Array.isArray(m.classNames) || !m.sources || !m.parts) throw new Error(`${file}: not a version-1 lel data manifest`);
  return m as DataManifest;
}

/** Checks that a re-opened source still lists what the run saw, naming it and the difference otherwise. */
export function checkFingerprint(name: string, record: SourceRecord, length: number, fingerprint: string): void {
  if (record.length !== length || record.fingerprint !== fingerprint) {
    throw new Error(
      `the ${name} data changed since this run started (${record.description}): it now has ${length} samples (was ${record.length})${record.length === length ? ' with different files' : ''}; ` +
        'restore it, or start a new run (the split and label map in the run\'s data/ folder belong to the old contents)',
    );
  }
}

/** The label map and input of a finished run (recorded in `<run>/data/` when it trained). */
export function runLabelMap(runDir: string): { classNames: string[]; input?: { height: number; width: number; channels: 1 | 3 } } {
  const m = readDataManifest(runDir);
  if (!m) throw new Error(`${runDir} has no data/split.json: it was not trained with this version of lel (retrain it)`);
  return { classNames: m.classNames, ...(m.input ? { input: m.input } : {}) };
}
