/** How progress is shown: `auto` draws a bar on a TTY (outside CI) and prints plain lines otherwise. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

/** A writable text stream (`process.stderr` by default). */
export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
}

/** A snapshot of the run, as shown by the bar and the lines. */
export interface ProgressState {
  /** Steps completed. */
  step: number;
  totalSteps?: number | undefined;
  /** Current epoch, 0-based (shown 1-based). */
  epoch: number;
  totalEpochs?: number | undefined;
  loss?: number | undefined;
  lr?: number | undefined;
  /** Optimiser steps per second. */
  stepsPerSec?: number | undefined;
  /** Examples per second, when the batch size is known. */
  samplesPerSec?: number | undefined;
  /** Estimated seconds left. */
  etaSec?: number | undefined;
}

/** Options of {@link ProgressReporter}. */
export interface ProgressOptions {
  mode?: ProgressMode;
  /** Default `process.stderr`. */
  stream?: ProgressStream;
  /** In `lines` mode, print every `every` steps (and at the end). Default 10. */
  every?: number;
}

/** `h:mm:ss` or `m:ss`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '?';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

function fmtNum(x: number | undefined, digits = 4): string {
  if (x === undefined) return '-';
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  return a !== 0 && (a < 1e-3 || a >= 1e5) ? x.toExponential(2) : x.toFixed(digits);
}

function fmtRate(s: ProgressState): string {
  const parts: string[] = [];
  if (s.stepsPerSec !== undefined) parts.push(`${s.stepsPerSec >= 10 ? s.stepsPerSec.toFixed(1) : s.stepsPerSec.toFixed(2)} it/s`);
  if (s.samplesPerSec !== undefined) parts.push(`${s.samplesPerSec.toFixed(1)} ex/s`);
  return parts.join(', ') || '- it/s';
}

/** The fields shared by the bar and the lines: `step 40/100 | epoch 2/5 | loss 0.3120 | lr 1.00e-3 | 12.5 it/s | ETA 0:05`. */
export function formatProgressFields(s: ProgressState): string {
  const step = s.totalSteps !== undefined ? `step ${s.step}/${s.totalSteps}` : `step ${s.step}`;
  const epoch = s.totalEpochs !== undefined ? `epoch ${s.epoch + 1}/${s.totalEpochs}` : `epoch ${s.epoch + 1}`;
  const lr = s.lr === undefined ? '-' : s.lr.toExponential(2);
  const eta = s.etaSec === undefined ? '?' : formatDuration(s.etaSec);
  return `${step} | ${epoch} | loss ${fmtNum(s.loss)} | lr ${lr} | ${fmtRate(s)} | ETA ${eta}`;
}

/** One plain progress line (non-TTY mode), with the percentage when the total is known. */
export function formatProgressLine(s: ProgressState): string {
  const pct = s.totalSteps ? ` (${Math.floor((100 * s.step) / s.totalSteps)}%)` : '';
  return `[lel] ${formatProgressFields(s)}${pct}`;
}

/** The default progress stream: `process.stderr` in Node, the console in a page. */
export function defaultProgressStream(): ProgressStream {
  const stderr = typeof process !== 'undefined' ? (process.stderr as ProgressStream | undefined) : undefined;
  return stderr ?? { write: (chunk: string) => console.log(chunk.replace(/\n$/, '')) };
}

/**
 * Training progress as plain periodic lines (CI, log files, a page's console). `fit` uses it where no terminal
 * bar is available; `ProgressReporter` (`@lel/core/node`) adds the live bar on a TTY.
 */
export class LineProgress {
  readonly mode: 'bar' | 'lines' | 'none';
  protected readonly stream: ProgressStream;
  protected readonly every: number;
  protected lastState: ProgressState | undefined;
  protected lastPrintedStep = -1;

  /** `auto` and `bar` print lines here (a bar needs `ProgressReporter`). */
  constructor(options: ProgressOptions = {}, mode?: 'bar' | 'lines' | 'none') {
    this.stream = options.stream ?? defaultProgressStream();
    this.every = Math.max(1, Math.floor(options.every ?? 10));
    this.mode = mode ?? (options.mode === 'none' ? 'none' : 'lines');
  }

  /** Show the initial state. */
  start(state: ProgressState): void {
    this.lastState = state;
    this.lastPrintedStep = state.step;
  }

  /** Report the state after a step. */
  update(state: ProgressState): void {
    this.lastState = state;
    if (this.mode === 'lines' && state.step % this.every === 0 && state.step !== this.lastPrintedStep) this.writeLine(state);
  }

  protected writeLine(state: ProgressState): void {
    this.lastPrintedStep = state.step;
    this.stream.write(formatProgressLine(state) + '\n');
  }

  /** Print a message (evaluation results, warnings). */
  print(message: string): void {
    if (this.mode === 'none') return;
    this.stream.write(message + '\n');
  }

  /** Final state; prints the last line if it was not printed yet. */
  stop(state?: ProgressState): void {
    if (state) this.lastState = state;
    if (this.mode === 'lines' && this.lastState && this.lastState.step !== this.lastPrintedStep) this.writeLine(this.lastState);
  }
}

/**
 * Steps/s and ETA measured since the (re)start of the run, over the steps done in this process (a resumed
 * run does not count the steps it skipped).
 */
export class Throughput {
  private readonly t0: number;
  private readonly step0: number;
  private samples = 0;

  constructor(startStep: number, private readonly now: () => number = () => performance.now()) {
    this.t0 = now();
    this.step0 = startStep;
  }

  /** Record examples processed (for examples/s). */
  addSamples(n: number): void {
    this.samples += n;
  }

  measure(step: number, totalSteps: number | undefined): { stepsPerSec?: number; samplesPerSec?: number; etaSec?: number } {
    const dt = (this.now() - this.t0) / 1000;
    const done = step - this.step0;
    if (dt <= 0 || done <= 0) return {};
    const stepsPerSec = done / dt;
    const out: { stepsPerSec?: number; samplesPerSec?: number; etaSec?: number } = { stepsPerSec };
    if (this.samples > 0) out.samplesPerSec = this.samples / dt;
    if (totalSteps !== undefined) out.etaSec = Math.max(0, totalSteps - step) / stepsPerSec;
    return out;
  }
}
