import { DatasetError } from '../errors';
import { LimitExceededError, resolveLimits, type LoaderLimits } from '../limits';
import type { TextClassificationData } from '../types';
import { readTextOrThrow } from './read-file';

/** Options for {@link parseDelimited}. */
export interface DelimitedOptions {
  /** Field separator; default tab for `.tsv` files, comma otherwise. */
  delimiter?: string;
  /** Quote character (RFC 4180 doubling for escapes), or null for none: GLUE's TSV files are unquoted. Default `"` for CSV, null for TSV. */
  quote?: string | null;
  /** Whether the first row names the columns. Default true. */
  header?: boolean;
  /** Column (name, or 0-based index) holding the text, e.g. "sentence" for SST-2. */
  textColumn: string | number;
  /** Column of the second sentence for pair tasks (e.g. "sentence2" for RTE). */
  textBColumn?: string | number;
  /** Column holding the label. */
  labelColumn: string | number;
  /** Label names in index order. Cells may hold a name or its index. By default they are inferred (see {@link labelIndexer}). */
  labelNames?: string[];
  /** Limits on the file size and the labels ({@link LoaderLimits}: `maxFileBytes`, `maxLabelValue`, `maxDistinctLabels`). */
  limits?: LoaderLimits;
}

/** Options of {@link labelIndexer}. */
export interface LabelIndexerOptions {
  /** File named in errors. */
  file?: string;
  /** `maxLabelValue` and `maxDistinctLabels` ({@link LoaderLimits}) bound what inference may build. */
  limits?: LoaderLimits;
  /** Where cell `i` is, for errors (e.g. `on line 12`). */
  where?: (i: number) => string;
}

/** Splits delimited text into rows of fields, honouring quotes (which may span lines). Reports rows with 1-based line numbers. */
export function parseRows(text: string, file: string, delimiter: string, quote: string | null): { fields: string[]; line: number }[] {
  const rows: { fields: string[]; line: number }[] = [];
  let field = '';
  let fields: string[] = [];
  let line = 1;
  let rowLine = 1;
  let inQuotes = false;
  let quoteLine = 0;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text; // drop a UTF-8 BOM
  for (let i = 0; i < src.length; i++) {
    const ch = src[i]!;
    if (inQuotes) {
      if (ch === quote) {
        if (src[i + 1] === quote) {
          field += ch;
          i++;
        } else inQuotes = false;
      } else {
        if (ch === '\n') line++;
        field += ch;
      }
    } else if (quote !== null && ch === quote && field.length === 0) {
      inQuotes = true;
      quoteLine = line;
    } else if (src.startsWith(delimiter, i)) {
      fields.push(field);
      field = '';
      i += delimiter.length - 1;
    } else if (ch === '\n' || ch === '\r') {
      if (ch === '\r' && src[i + 1] === '\n') i++;
      fields.push(field);
      if (!(fields.length === 1 && fields[0] === '')) rows.push({ fields, line: rowLine });
      fields = [];
      field = '';
      line++;
      rowLine = line;
    } else field += ch;
  }
  if (inQuotes) throw new DatasetError(file, `unterminated quote opened on line ${quoteLine}`);
  fields.push(field);
  if (!(fields.length === 1 && fields[0] === '')) rows.push({ fields, line: rowLine });
  return rows;
}

/** A cell as quoted in messages (bounded). */
const cellText = (c: string): string => JSON.stringify(c.length > 40 ? `${c.slice(0, 40)}…` : c);

/**
 * Builds a function from raw label cells to label indices. With `labelNames`, a cell may be a name or an
 * index into it. Without, labels are inferred from all cells: if every cell is an integer in 0..k-1 the
 * names are "0".."k-1", otherwise the sorted distinct strings. Inference is bounded by the
 * `maxDistinctLabels` and `maxLabelValue` limits ({@link LoaderLimits}): a cell past either throws a
 * {@link LimitExceededError} naming the file, where the cell is and the limit, before any names are built.
 */
export function labelIndexer(cells: string[], labelNames?: string[], options: LabelIndexerOptions = {}): { names: string[]; index: (cell: string) => number | undefined } {
  let names = labelNames;
  if (!names) {
    const limits = resolveLimits(options.limits);
    const file = options.file ?? '<labels>';
    const where = options.where ?? ((i: number) => `at row ${i + 1}`);
    const distinct = new Set<string>();
    let ints = true;
    let max = -1;
    let tooLarge = -1; // first integer cell over maxLabelValue (an error only if every cell is an integer)
    for (let i = 0; i < cells.length; i++) {
      const c = cells[i]!;
      if (!distinct.has(c)) {
        distinct.add(c);
        if (distinct.size > limits.maxDistinctLabels) {
          throw new LimitExceededError(file, 'maxDistinctLabels', limits.maxDistinctLabels, distinct.size, `the number of distinct labels (reached with label ${cellText(c)} ${where(i)})`);
        }
      }
      if (!ints) continue;
      if (!/^\d+$/.test(c)) {
        ints = false;
        continue;
      }
      const v = Number(c);
      if (v > limits.maxLabelValue && tooLarge < 0) tooLarge = i;
      if (v > max) max = v;
    }
    if (ints && tooLarge >= 0) {
      const c = cells[tooLarge]!;
      throw new LimitExceededError(file, 'maxLabelValue', limits.maxLabelValue, Number(c), `label value ${cellText(c)} ${where(tooLarge)}`);
    }
    if (ints) names = Array.from({ length: max + 1 }, (_, i) => String(i));
    else names = [...distinct].sort();
  }
  const byName = new Map(names.map((n, i) => [n, i]));
  const k = names.length;
  return {
    names,
    index: (cell) => byName.get(cell) ?? (/^\d+$/.test(cell) && Number(cell) < k ? Number(cell) : undefined),
  };
}

function columnIndex(spec: string | number, header: string[] | null, file: string, role: string): number {
  if (typeof spec === 'number') return spec;
  if (!header) throw new DatasetError(file, `${role} column "${spec}" given by name but the file has no header row`);
  const i = header.indexOf(spec);
  if (i < 0) throw new DatasetError(file, `${role} column "${spec}" not in header [${header.join(', ')}]`);
  return i;
}

/**
 * Parses a CSV/TSV text-classification file (GLUE-style columns, configurable) into
 * {@link TextClassificationData}. Every row must have as many fields as the first one: a ragged row fails
 * with its line number.
 */
export function parseDelimited(text: string, file: string, options: DelimitedOptions): TextClassificationData {
  const isTsv = /\.tsv$/i.test(file);
  const delimiter = options.delimiter ?? (isTsv ? '\t' : ',');
  const quote = options.quote !== undefined ? options.quote : isTsv ? null : '"';
  const rows = parseRows(text, file, delimiter, quote);
  const hasHeader = options.header ?? true;
  const header = hasHeader ? (rows.shift()?.fields ?? null) : null;
  if (hasHeader && !header) throw new DatasetError(file, 'empty file: no header row');
  if (rows.length === 0) throw new DatasetError(file, 'no data rows');
  const width = header ? header.length : rows[0]!.fields.length;
  const tCol = columnIndex(options.textColumn, header, file, 'text');
  const bCol = options.textBColumn !== undefined ? columnIndex(options.textBColumn, header, file, 'textB') : undefined;
  const lCol = columnIndex(options.labelColumn, header, file, 'label');
  for (const c of [tCol, bCol, lCol]) {
    if (c !== undefined && (c < 0 || c >= width)) throw new DatasetError(file, `column index ${c} is outside the ${width} columns`);
  }
  for (const r of rows) {
    if (r.fields.length !== width) throw new DatasetError(file, `ragged row on line ${r.line}: ${r.fields.length} fields, expected ${width}`);
  }
  const cells = rows.map((r) => r.fields[lCol]!.trim());
  const { names, index } = labelIndexer(cells, options.labelNames, { file, ...(options.limits ? { limits: options.limits } : {}), where: (i) => `on line ${rows[i]!.line}` });
  const labels = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    const y = index(cells[i]!);
    if (y === undefined) throw new DatasetError(file, `label ${cellText(cells[i]!)} on line ${r.line} is not one of ${namesText(names)}`);
    labels[i] = y;
  });
  const out: TextClassificationData = { texts: rows.map((r) => r.fields[tCol]!), labels, labelNames: names };
  if (bCol !== undefined) out.textsB = rows.map((r) => r.fields[bCol]!);
  return out;
}

/** Label names as listed in messages (the first few). */
export function namesText(names: readonly string[]): string {
  const shown = names.slice(0, 20).map((n) => (n.length > 40 ? `${n.slice(0, 40)}…` : n));
  return `[${shown.join(', ')}${names.length > 20 ? `, … ${names.length} labels` : ''}]`;
}

/** Reads a CSV/TSV file (UTF-8, at most `options.limits.maxFileBytes`); see {@link parseDelimited}. */
export function loadDelimited(path: string, options: DelimitedOptions): TextClassificationData {
  return parseDelimited(readTextOrThrow(path, resolveLimits(options.limits).maxFileBytes), path, options);
}
