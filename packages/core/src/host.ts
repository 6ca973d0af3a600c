import type * as tf from '@tensorflow/tfjs-core';
import type { ParsedSafetensors, SafetensorsInput, SerializeSafetensorsOptions } from './io/safetensors';
import type { FitPlan } from './train/fit-plan';
import type { FitStart } from './train/fit-start';
import type { MetricsRecord } from './train/jsonl-logger';
import type { LineProgress, ProgressOptions } from './train/progress';

/** The run log `fit` appends its `train`/`eval` records to (`<runDir>/metrics.jsonl` in Node). */
export interface RunLog {
  log(record: MetricsRecord): void;
  /** Records in the log (kept ones included). */
  readonly count: number;
  close(): void;
}

/**
 * What LEL needs from Node beyond tensors: the file system (run folders, checkpoints, resume, weights and adapter
 * files) and a terminal progress bar. Installed by `@lel/core/node`, which Node loads with `@lel/core` itself (the
 * package's `node` export condition). A web page has no host: `fit` then trains in memory, and the functions that
 * read or write files say that they need Node.
 */
export interface NodeHost {
  /** `fit`: resume checks, checkpoint loading, then the run folder (`config.json`, the checkpoint manager). */
  restore<L, U>(plan: FitPlan<L, U>): Promise<FitStart>;
  /** `fit`: the run's metrics log, emptied for a fresh run; on resume only the records `keep` accepts are kept. */
  openLog(runDir: string, resumed: boolean, keep: (record: MetricsRecord, index: number) => boolean): RunLog;
  /** `fit`: progress on the terminal (a bar on a TTY, lines otherwise). */
  progress(options: ProgressOptions): LineProgress;
  /** `path.join`. */
  join(...parts: string[]): string;
  /** Whether the path exists. */
  exists(path: string): boolean;
  /** Creates a folder and its parents. */
  mkdir(dir: string): Promise<void>;
  readFile(path: string): Promise<Uint8Array>;
  readText(path: string): Promise<string>;
  /** Writes through a temporary file and a rename, so readers never see half a file. */
  writeFileAtomic(path: string, data: Uint8Array | string): Promise<void>;
  readSafetensorsFile(path: string): Promise<ParsedSafetensors>;
  writeSafetensorsFile(path: string, tensors: Map<string, SafetensorsInput | tf.Tensor>, metadata?: Record<string, string>, options?: SerializeSafetensorsOptions): Promise<void>;
}

let host: NodeHost | undefined;

/** @internal Installs the host (`@lel/core/node` installs Node's when it is loaded). */
export function setNodeHost(h: NodeHost | undefined): void {
  host = h;
}

/** The installed host: Node's, or undefined in a web page. */
export function nodeHost(): NodeHost | undefined {
  return host;
}

/** The host, or a clear error saying that `what` needs Node's file system. */
export function requireNodeHost(what: string): NodeHost {
  if (host) return host;
  throw new Error(
    `${what} needs a file system: reading and writing files, run folders, checkpoints and resuming work in Node only ` +
      `(where @lel/core loads @lel/core/node itself). In a web page, train in memory (no runDir, no resume) and ` +
      'move weights as bytes (serializeSafetensors / parseSafetensors).',
  );
}
