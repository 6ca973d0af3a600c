import cliProgress from 'cli-progress';
import { formatDuration, type ProgressMode, type ProgressStream } from '@lel/core';

/** Counts of a sweep's runs. */
export interface SweepCounts {
  total: number;
  done: number;
  running: number;
  failed: number;
  /** Estimated seconds left (undefined until a run finished). */
  etaSec?: number | undefined;
}

/** `12/40 done · 3 running · 1 failed · 24 pending · ETA 1:02:10`. */
export function formatCounts(c: SweepCounts): string {
  const pending = Math.max(0, c.total - c.done - c.running - c.failed);
  return `${c.done}/${c.total} done · ${c.running} running · ${c.failed} failed · ${pending} pending · ETA ${c.etaSec === undefined ? '?' : formatDuration(c.etaSec)}`;
}

/**
 * The ETA of a sweep: the mean duration of the runs finished so far times the runs left, spread over the
 * processes running them in parallel.
 */
export function sweepEta(durations: readonly number[], left: number, parallel: number): number | undefined {
  if (durations.length === 0) return left === 0 ? 0 : undefined;
  const mean = durations.reduce((a, b) => a + b, 0) / durations.length;
  return (mean * left) / Math.max(1, Math.min(parallel, left));
}

/**
 * The sweep's progress line: a live bar (cli-progress) on a terminal, otherwise one plain line each time the
 * counts change (CI, log files). Messages (a run finished or failed) print above the bar.
 */
export class SweepProgress {
  readonly mode: 'bar' | 'lines' | 'none';
  private readonly stream: ProgressStream;
  private bar: cliProgress.SingleBar | undefined;
  private counts: SweepCounts;
  private lastLine = '';

  constructor(
    private readonly name: string,
    total: number,
    options: { mode?: ProgressMode; stream?: ProgressStream } = {},
  ) {
    this.stream = options.stream ?? process.stderr;
    const mode = options.mode ?? 'auto';
    this.mode = mode === 'auto' ? (this.stream.isTTY && !process.env.CI ? 'bar' : 'lines') : mode;
    this.counts = { total, done: 0, running: 0, failed: 0 };
  }

  start(counts: SweepCounts): void {
    this.counts = counts;
    if (this.mode === 'bar') {
      this.bar = new cliProgress.SingleBar({
        stream: this.stream as NodeJS.WritableStream,
        format: () => this.render(),
        hideCursor: false,
        clearOnComplete: false,
        noTTYOutput: true,
        notTTYSchedule: 1000,
        gracefulExit: false, // its SIGINT handler would swallow the first Ctrl-C
      });
      this.bar.start(counts.total, counts.done);
    } else this.printLine();
  }

  private render(): string {
    const c = this.counts;
    const width = 20;
    const filled = c.total > 0 ? Math.round((width * (c.done + c.failed)) / c.total) : width;
    return `[sweep ${this.name}] ${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${formatCounts(c)}`;
  }

  private printLine(): void {
    if (this.mode !== 'lines') return;
    const line = `[sweep ${this.name}] ${formatCounts({ ...this.counts, etaSec: undefined })}`;
    if (line === this.lastLine) return;
    this.lastLine = line;
    this.stream.write(`[sweep ${this.name}] ${formatCounts(this.counts)}\n`);
  }

  update(counts: SweepCounts): void {
    this.counts = counts;
    if (this.bar) this.bar.update(counts.done);
    else this.printLine();
  }

  /** A message above the bar (or a plain line). */
  print(message: string): void {
    if (this.mode === 'none') return;
    if (this.bar) {
      this.stream.write(`\r\x1b[2K${message}\n`);
      this.bar.render();
    } else this.stream.write(message + '\n');
  }

  stop(): void {
    if (this.bar) {
      this.bar.update(this.counts.done);
      this.bar.stop();
      this.bar = undefined;
    }
  }
}
