import { mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatasetError } from '../errors';
import type { LabeledSplit } from './labeled-split';

/** On-disk form of a split (version 1). */
interface SplitFile {
  format: 'lel-split';
  version: 1;
  n: number;
  labeled: number[];
  unlabeled: number[];
  meta?: Record<string, unknown>;
}

/**
 * Writes a split as JSON atomically (temporary file + rename), so a crash never leaves a half-written split
 * that a later run would silently read. `meta` (e.g. seed, fraction, dataset name) is stored alongside.
 */
export function saveSplit(path: string, split: LabeledSplit, meta?: Record<string, unknown>): void {
  const n = split.labeled.length + split.unlabeled.length;
  const body: SplitFile = { format: 'lel-split', version: 1, n, labeled: split.labeled, unlabeled: split.unlabeled };
  if (meta) body.meta = meta;
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    writeFileSync(tmp, `${JSON.stringify(body)}\n`);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // the temporary file may never have been created
    }
    throw e;
  }
}

/**
 * Reads a split written by {@link saveSplit}, checking that it is well formed: integer indices, no
 * duplicates, labelled and unlabelled disjoint and together covering 0..n-1, and (when given) that n equals
 * `expectedN`, the size of the dataset it is applied to.
 */
export function loadSplit(path: string, expectedN?: number): LabeledSplit & { meta?: Record<string, unknown> } {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new DatasetError(path, `unreadable split file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  const f = parsed as Partial<SplitFile>;
  if (typeof f !== 'object' || f === null || f.format !== 'lel-split' || f.version !== 1) throw new DatasetError(path, 'not a version-1 lel split file');
  if (!Array.isArray(f.labeled) || !Array.isArray(f.unlabeled) || typeof f.n !== 'number') throw new DatasetError(path, 'split file lacks labeled/unlabeled arrays or n');
  const n = f.n;
  if (expectedN !== undefined && n !== expectedN) throw new DatasetError(path, `split covers ${n} samples but the dataset has ${expectedN}`);
  const seen = new Uint8Array(n);
  for (const [name, list] of [['labeled', f.labeled], ['unlabeled', f.unlabeled]] as const) {
    for (const i of list) {
      if (!Number.isInteger(i) || i < 0 || i >= n) throw new DatasetError(path, `${name} index ${JSON.stringify(i)} is not an integer in [0, ${n})`);
      if (seen[i]) throw new DatasetError(path, `index ${i} appears twice`);
      seen[i] = 1;
    }
  }
  if (f.labeled.length + f.unlabeled.length !== n) throw new DatasetError(path, `split lists ${f.labeled.length + f.unlabeled.length} indices, n is ${n}`);
  const out: LabeledSplit & { meta?: Record<string, unknown> } = { labeled: f.labeled, unlabeled: f.unlabeled };
  if (f.meta) out.meta = f.meta;
  return out;
}
