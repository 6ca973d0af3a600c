import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { EVENT_FILE_VERSION, eventRecord } from './event-file';
import type { TbEvent } from './event';

/** Options of {@link TensorBoardWriter}. */
export interface TensorBoardWriterOptions {
  /** `fsync` after every `flush()` (default true): records survive a power loss, not only a crash. */
  fsync?: boolean;
  /** Clock in seconds (default `Date.now() / 1000`); tests pin it. */
  now?: () => number;
  /** Written as `source_metadata.writer` on the first event. Default `lel`. */
  writerName?: string;
}

let fileCounter = 0;

/**
 * Writes a TensorBoard event file (`events.out.tfevents.<time>.<host>.<pid>.<n>`) in `dir`, as PyTorch's
 * `SummaryWriter` does: a `file_version` event, then one `Event` per call. Every record is appended with a single
 * `write` of its complete frame and nothing already written is ever rewritten, so a crash can at most leave a torn
 * last record, which TensorBoard (and {@link parseEventFile}) skip; earlier records stay intact. Node only.
 */
export class TensorBoardWriter {
  readonly file: string;
  private fd: number | undefined;
  private readonly now: () => number;
  private readonly fsync: boolean;

  constructor(
    readonly dir: string,
    options: TensorBoardWriterOptions = {},
  ) {
    this.now = options.now ?? (() => Date.now() / 1000);
    this.fsync = options.fsync ?? true;
    fs.mkdirSync(dir, { recursive: true });
    const stamp = Math.floor(this.now());
    this.file = path.join(dir, `events.out.tfevents.${stamp}.${os.hostname()}.${process.pid}.${fileCounter++}`);
    this.fd = fs.openSync(this.file, 'a');
    this.write({ wallTime: this.now(), step: 0, fileVersion: EVENT_FILE_VERSION, writer: options.writerName ?? 'lel' });
    this.flush();
  }

  /** Append one event (a complete frame in one `write`). */
  write(event: TbEvent): void {
    if (this.fd === undefined) throw new Error(`TensorBoardWriter: ${this.file} is closed`);
    fs.writeSync(this.fd, eventRecord(event));
  }

  /** One scalar (`add_scalar`); non-finite values are written as they are (TensorBoard shows NaN/inf). */
  addScalar(tag: string, value: number, step: number, wallTime = this.now()): void {
    this.write({ wallTime, step, scalars: [{ tag, value }] });
  }

  /** Several scalars at one step in one event, tags `<prefix><name>`. */
  addScalars(values: Record<string, number>, step: number, prefix = '', wallTime = this.now()): void {
    const scalars = Object.entries(values)
      .filter(([, v]) => typeof v === 'number')
      .map(([k, v]) => ({ tag: prefix + k, value: v }));
    if (scalars.length > 0) this.write({ wallTime, step, scalars });
  }

  /**
   * Mark a (re)start at `step`: TensorBoard drops events at steps ≥ `step` written before this one (PyTorch's
   * `purge_step`), so a run resumed from a checkpoint does not show the abandoned continuation twice.
   */
  purgeFrom(step: number): void {
    this.write({ wallTime: this.now(), step, sessionLog: { status: 'start' } });
  }

  /** Push written records to disk (`fsync` unless disabled). */
  flush(): void {
    if (this.fd !== undefined && this.fsync) fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    this.flush();
    fs.closeSync(this.fd);
    this.fd = undefined;
  }
}
