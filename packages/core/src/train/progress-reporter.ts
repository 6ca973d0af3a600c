import cliProgress from 'cli-progress';
import { formatProgressFields, LineProgress, type ProgressOptions, type ProgressState } from './progress';

/**
 * Training progress: a live bar (cli-progress) on a TTY, or plain periodic lines ({@link LineProgress}) for CI
 * and log files. Node only (`@lel/core/node`). Always call {@link stop} (the bar holds a timer).
 */
export class ProgressReporter extends LineProgress {
  private bar: cliProgress.SingleBar | undefined;

  constructor(options: ProgressOptions = {}) {
    const stream = options.stream ?? process.stderr;
    const mode = options.mode ?? 'auto';
    super({ ...options, stream }, mode === 'auto' ? (stream.isTTY && !process.env.CI ? 'bar' : 'lines') : mode);
  }

  /** Show the initial state (draws the bar). */
  override start(state: ProgressState): void {
    super.start(state);
    if (this.mode !== 'bar') return;
    this.bar = new cliProgress.SingleBar({
      stream: this.stream as NodeJS.WritableStream,
      format: (_opts, params) => this.renderBar(params.value),
      hideCursor: false, // a killed run must not leave the terminal without a cursor
      clearOnComplete: false,
      noTTYOutput: true, // the caller chose the bar: draw it even when the stream does not claim a TTY
      notTTYSchedule: 1000,
      gracefulExit: false, // its SIGINT handler would swallow the first Ctrl-C
    });
    this.bar.start(state.totalSteps ?? 0, state.step);
  }

  private renderBar(value: number): string {
    const s = this.lastState ?? { step: value, epoch: 0 };
    const width = 24;
    const frac = s.totalSteps ? Math.min(1, s.step / s.totalSteps) : 0;
    const filled = Math.round(frac * width);
    const pct = s.totalSteps ? `${String(Math.floor(frac * 100)).padStart(3)}% ` : '';
    return `${'█'.repeat(filled)}${'░'.repeat(width - filled)} ${pct}${formatProgressFields(s)}`;
  }

  /** Report the state after a step. */
  override update(state: ProgressState): void {
    if (this.mode === 'bar' && this.bar) {
      this.lastState = state;
      if (state.totalSteps !== undefined && state.totalSteps !== this.bar.getTotal()) this.bar.setTotal(state.totalSteps);
      this.bar.update(state.step);
    } else {
      super.update(state);
    }
  }

  /** Print a message (evaluation results, warnings) without breaking the bar. */
  override print(message: string): void {
    if (this.mode === 'none') return;
    if (this.bar) {
      this.stream.write(`\r\x1b[2K${message}\n`);
      this.bar.render();
    } else {
      super.print(message);
    }
  }

  /** Final state; prints the last line if it was not printed yet, and releases the bar. */
  override stop(state?: ProgressState): void {
    if (this.bar) {
      if (state) this.lastState = state;
      this.bar.update(this.lastState?.step ?? 0);
      this.bar.stop();
      this.bar = undefined;
    } else {
      super.stop(state);
    }
  }
}
