import { DatasetError } from '../errors';
import type { TextClassificationData } from '../types';
import { readFileOrThrow } from './image';

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

/**
 * Builds a function from raw label cells to label indices. With `labelNames`, a cell may be a name or an
 * index into it. Without, labels are inferred from all cells: if every cell is an integer in 0..k-1 the
 * names are "0".."k-1", otherwise the sorted distinct strings.
 */
export function labelIndexer(cells: string[], labelNames?: string[]): { names: string[]; index: (cell: string) => number | undefined } {
  let names = labelNames;
  if (!names) {
    const distinct = [...new Set(cells)];
    const ints = distinct.every((c) => /^\d+$/.test(c));
    if (ints) {
      const max = Math.max(...distinct.map(Number));
      names = Array.from({ length: max + 1 }, (_, i) => String(i));
    } else names = distinct.sort();
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
  const { names, index } = labelIndexer(cells, options.labelNames);
  const labels = new Int32Array(rows.length);
  rows.forEach((r, i) => {
    const y = index(cells[i]!);
    if (y === undefined) throw new DatasetError(file, `label "${cells[i]}" on line ${r.line} is not one of [${names.join(', ')}]`);
    labels[i] = y;
  });
  const out: TextClassificationData = { texts: rows.map((r) => r.fields[tCol]!), labels, labelNames: names };
  if (bCol !== undefined) out.textsB = rows.map((r) => r.fields[bCol]!);
  return out;
}

/** Reads a CSV/TSV file (UTF-8); see {@link parseDelimited}. */
export function loadDelimited(path: string, options: DelimitedOptions): TextClassificationData {
  return parseDelimited(readFileOrThrow(path).toString('utf8'), path, options);
}
