import { DatasetError } from '../errors';
import { resolveLimits, type LoaderLimits } from '../limits';
import type { TextClassificationData } from '../types';
import { labelIndexer, namesText } from './delimited';
import { readTextOrThrow } from './read-file';

/** Options for {@link parseJsonl}. */
export interface JsonlOptions {
  /** Field holding the text. Default "text". */
  textField?: string;
  /** Field holding the second sentence of a pair. */
  textBField?: string;
  /** Field holding the label (string or integer). Default "label". */
  labelField?: string;
  /** Label names in index order; inferred when absent (see {@link labelIndexer}). */
  labelNames?: string[];
  /** Limits on the file size and the labels ({@link LoaderLimits}: `maxFileBytes`, `maxLabelValue`, `maxDistinctLabels`). */
  limits?: LoaderLimits;
}

/** A JSON value as shown in messages: short, and without recursing into (possibly very deep) structures. */
function describe(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (Array.isArray(v)) return `an array of ${v.length}`;
  if (typeof v === 'object' && v !== null) return 'an object';
  const s = JSON.stringify(v);
  return s.length > 40 ? `${s.slice(0, 40)}…` : s;
}

/** Parses JSON Lines (one object per line) into {@link TextClassificationData}, naming the line of any defect. */
export function parseJsonl(text: string, file: string, options: JsonlOptions = {}): TextClassificationData {
  const textField = options.textField ?? 'text';
  const labelField = options.labelField ?? 'label';
  const texts: string[] = [];
  const textsB: string[] = [];
  const cells: string[] = [];
  const lines: number[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    if (raw.trim() === '') return;
    const line = i + 1;
    let obj: unknown;
    try {
      obj = JSON.parse(raw);
    } catch (e) {
      throw new DatasetError(file, `line ${line} is not valid JSON (${(e as Error).message})`);
    }
    if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) throw new DatasetError(file, `line ${line} is not a JSON object`);
    const rec = obj as Record<string, unknown>;
    const t = rec[textField];
    if (typeof t !== 'string') throw new DatasetError(file, `line ${line}: field "${textField}" is missing or not a string`);
    if (options.textBField !== undefined) {
      const b = rec[options.textBField];
      if (typeof b !== 'string') throw new DatasetError(file, `line ${line}: field "${options.textBField}" is missing or not a string`);
      textsB.push(b);
    }
    const y = rec[labelField];
    if (typeof y !== 'string' && !(typeof y === 'number' && Number.isInteger(y) && y >= 0)) {
      throw new DatasetError(file, `line ${line}: field "${labelField}" must be a string or a non-negative integer, got ${describe(y)}`);
    }
    texts.push(t);
    cells.push(String(y));
    lines.push(line);
  });
  if (texts.length === 0) throw new DatasetError(file, 'no records');
  const { names, index } = labelIndexer(cells, options.labelNames, { file, ...(options.limits ? { limits: options.limits } : {}), where: (i) => `on line ${lines[i]}` });
  const labels = new Int32Array(texts.length);
  cells.forEach((c, i) => {
    const y = index(c);
    if (y === undefined) throw new DatasetError(file, `line ${lines[i]}: label ${JSON.stringify(c.length > 40 ? `${c.slice(0, 40)}…` : c)} is not one of ${namesText(names)}`);
    labels[i] = y;
  });
  const out: TextClassificationData = { texts, labels, labelNames: names };
  if (options.textBField !== undefined) out.textsB = textsB;
  return out;
}

/** Reads a JSONL file (UTF-8, at most `options.limits.maxFileBytes`); see {@link parseJsonl}. */
export function loadJsonl(path: string, options: JsonlOptions = {}): TextClassificationData {
  return parseJsonl(readTextOrThrow(path, resolveLimits(options.limits).maxFileBytes), path, options);
}
