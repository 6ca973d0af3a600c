import * as fs from 'node:fs';
import * as path from 'node:path';

/** One finished job of a text-effects grid: its key (setting/arm/N/seed/…), its settings and what it measured. */
export interface JobResult {
  key: string;
  [field: string]: unknown;
}

/**
 * Append-only JSON-lines store of finished jobs, so a long grid can stop at any time and resume where it was:
 * a job whose key is already in the file is skipped. Each line is written with one `appendFileSync` (whole
 * lines only); a torn last line from a crash is ignored on read.
 */
export class ResultStore {
  private readonly done = new Map<string, JobResult>();

  constructor(readonly file: string) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    if (!fs.existsSync(file)) return;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const r = JSON.parse(line) as JobResult;
        if (typeof r.key === 'string') this.done.set(r.key, r);
      } catch {
        // torn line: the job runs again
      }
    }
  }

  has(key: string): boolean {
    return this.done.has(key);
  }

  get(key: string): JobResult | undefined {
    return this.done.get(key);
  }

  all(): JobResult[] {
    return [...this.done.values()];
  }

  add(result: JobResult): void {
    fs.appendFileSync(this.file, JSON.stringify(result) + '\n');
    this.done.set(result.key, result);
  }
}
