import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeFsError, makeDirs } from './fs-utils';

/** One line of `metrics.jsonl`. `type` is `train` (a logged step) or `eval` (an evaluation). */
export interface MetricsRecord {
  type: 'train' | 'eval' | (string & {});
  /** Steps completed when the record was written. */
  step: number;
  epoch: number;
  /** ISO time. */
  time: string;
  [key: string]: unknown;
}

/** Options of {@link JsonlLogger}. */
export interface JsonlLoggerOptions {
  /**
   * On resume: which existing records to keep (records past the checkpoint belong to the abandoned
   * continuation of the run and would be duplicated). Omit to append to the file as it is.
   */
  keep?: (record: MetricsRecord, index: number) => boolean;
}

/**
 * Appends one JSON object per line to a file (`runDir/metrics.jsonl`), like the Hugging Face Trainer's
 * `log_history`. Each record is written with one `write` call, so a crash loses at most the line in flight.
 */
export class JsonlLogger {
  readonly path: string;
  /** Records in the file (kept ones plus those logged since). */
  count = 0;
  private fd: number | undefined;

  constructor(file: string, options: JsonlLoggerOptions = {}) {
    this.path = file;
    makeDirs(path.dirname(file));
    if (fs.existsSync(file)) {
      const records = readJsonl(file);
      const kept = options.keep ? records.filter(options.keep) : records;
      if (kept.length !== records.length) {
        try {
          const tmp = `${file}.tmp-${process.pid}`;
          fs.writeFileSync(tmp, kept.map((r) => JSON.stringify(r) + '\n').join(''));
          fs.renameSync(tmp, file);
        } catch (e) {
          throw new Error(`cannot write ${file}: ${describeFsError(e)}`, { cause: e });
        }
      }
      this.count = kept.length;
    }
    try {
      this.fd = fs.openSync(file, 'a');
    } catch (e) {
      throw new Error(`cannot write ${file}: ${describeFsError(e)}`, { cause: e });
    }
  }

  /** Append one record (non-finite numbers are written as strings: JSON has no NaN). */
  log(record: MetricsRecord): void {
    if (this.fd === undefined) throw new Error(`JsonlLogger: ${this.path} is closed`);
    try {
      fs.writeSync(this.fd, JSON.stringify(record, jsonSafe) + '\n');
    } catch (e) {
      throw new Error(`cannot write ${this.path}: ${describeFsError(e)}`, { cause: e });
    }
    this.count++;
  }

  close(): void {
    if (this.fd !== undefined) {
      fs.closeSync(this.fd);
      this.fd = undefined;
    }
  }
}

function jsonSafe(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

/** Read a JSONL file into records (blank lines and a torn last line are skipped). */
export function readJsonl(file: string): MetricsRecord[] {
  const out: MetricsRecord[] = [];
  const lines = fs.readFileSync(file, 'utf8').split('\n');
  lines.forEach((line, i) => {
    if (!line.trim()) return;
    try {
      out.push(JSON.parse(line) as MetricsRecord);
    } catch (e) {
      if (i < lines.length - 1 && lines.slice(i + 1).some((l) => l.trim())) {
        throw new Error(`readJsonl: ${file}:${i + 1} is not valid JSON (${(e as Error).message})`);
      }
    }
  });
  return out;
}
