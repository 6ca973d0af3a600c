import * as fs from 'node:fs';
import * as path from 'node:path';
import {
  checkpointName,
  checkpointsDir,
  readPointer,
  saveCheckpoint,
  type CheckpointContents,
  type CheckpointPointer,
  type SaveCheckpointOptions,
} from './checkpoint';
import { writeFileAtomicSync } from '../io/atomic-write';
import { improves } from './early-stopping';
import { makeDirs } from './fs-utils';

/** Which evaluation metric picks the `best` checkpoint. */
export interface BestCheckpointPolicy {
  metric: string;
  mode: 'min' | 'max';
}

/** Options of {@link CheckpointManager}. */
export interface CheckpointManagerOptions {
  /** How many of the most recent checkpoints to keep (the best one is kept besides). Default 3. */
  keepLast?: number;
  best?: BestCheckpointPolicy;
}

/**
 * The checkpoints of one run folder: `runDir/checkpoints/step-000123/` folders, a `last` pointer file
 * (JSON, written atomically after the folder, so a crash leaves the previous checkpoint current), a `best`
 * pointer by a chosen metric, and pruning to the last K (never the last or the best one).
 */
export class CheckpointManager {
  readonly runDir: string;
  readonly dir: string;
  readonly keepLast: number;
  readonly bestPolicy: BestCheckpointPolicy | undefined;
  private bestPointer: CheckpointPointer | undefined;

  constructor(runDir: string, options: CheckpointManagerOptions = {}) {
    this.runDir = runDir;
    this.dir = checkpointsDir(runDir);
    this.keepLast = options.keepLast ?? 3;
    if (!Number.isInteger(this.keepLast) || this.keepLast < 1) throw new Error(`checkpoint.keepLast must be an integer >= 1, got ${options.keepLast}`);
    this.bestPolicy = options.best;
    makeDirs(this.dir, 'checkpoint folder');
    this.removeLeftovers();
    const best = readPointer(runDir, 'best');
    if (best && this.bestPolicy && best.metric === this.bestPolicy.metric && best.mode === this.bestPolicy.mode) this.bestPointer = best;
  }

  /** Temporary folders of saves interrupted by a crash. */
  private removeLeftovers(): void {
    for (const name of fs.readdirSync(this.dir)) {
      if (name.startsWith('.tmp-')) fs.rmSync(path.join(this.dir, name), { recursive: true, force: true });
    }
  }

  /** The `last` pointer, if a checkpoint was written. */
  get last(): CheckpointPointer | undefined {
    return readPointer(this.runDir, 'last');
  }

  /** The best checkpoint so far (by {@link bestPolicy}). */
  get best(): CheckpointPointer | undefined {
    return this.bestPointer;
  }

  /** Folder of a pointer. */
  pathOf(p: CheckpointPointer): string {
    return path.join(this.dir, p.name);
  }

  /** Whether a complete checkpoint of `step` exists. */
  has(step: number): boolean {
    return fs.existsSync(path.join(this.dir, checkpointName(step), 'state.json'));
  }

  /**
   * Save the checkpoint of `step` (folder first, then the `last` pointer), then prune. Returns its folder.
   */
  async save(step: number, contents: CheckpointContents, options: SaveCheckpointOptions = {}): Promise<string> {
    const name = checkpointName(step);
    const folder = path.join(this.dir, name);
    await saveCheckpoint(folder, contents, { ...options, position: { ...options.position, step } });
    writeFileAtomicSync(path.join(this.dir, 'last'), JSON.stringify({ name, step } satisfies CheckpointPointer) + '\n');
    this.prune();
    return folder;
  }

  /**
   * Whether `metrics` improve on the best checkpoint (by {@link bestPolicy}). An evaluation without the
   * metric is an error naming the metrics it has.
   */
  isBetter(metrics: Record<string, number>): boolean {
    if (!this.bestPolicy) return false;
    const v = metrics[this.bestPolicy.metric];
    if (v === undefined) {
      throw new Error(`checkpoint.best.metric "${this.bestPolicy.metric}" is not among the evaluation metrics (${Object.keys(metrics).join(', ') || 'none'})`);
    }
    return improves(v, this.bestPointer?.value, this.bestPolicy.mode);
  }

  /** Point `best` at the checkpoint of `step` with the metric's value (atomic). */
  setBest(step: number, value: number): void {
    if (!this.bestPolicy) throw new Error('CheckpointManager.setBest: no best policy configured');
    const p: CheckpointPointer = { name: checkpointName(step), step, metric: this.bestPolicy.metric, mode: this.bestPolicy.mode, value };
    writeFileAtomicSync(path.join(this.dir, 'best'), JSON.stringify(p) + '\n');
    this.bestPointer = p;
    this.prune();
  }

  /** Restore the best record as it was at a resumed checkpoint (rewrites the pointer if it differs). */
  restoreBest(p: CheckpointPointer | undefined): void {
    if (!this.bestPolicy) return;
    const onDisk = readPointer(this.runDir, 'best');
    if (p === undefined) {
      if (onDisk) fs.rmSync(path.join(this.dir, 'best'), { force: true });
    } else if (JSON.stringify(onDisk) !== JSON.stringify(p)) {
      writeFileAtomicSync(path.join(this.dir, 'best'), JSON.stringify(p) + '\n');
    }
    this.bestPointer = p;
  }

  /** Step folders present, oldest first. */
  list(): { name: string; step: number }[] {
    return fs
      .readdirSync(this.dir)
      .map((name) => ({ name, m: /^step-(\d+)$/.exec(name) }))
      .filter((e) => e.m !== null)
      .map((e) => ({ name: e.name, step: Number(e.m![1]) }))
      .sort((a, b) => a.step - b.step);
  }

  /** Delete all but the `keepLast` most recent checkpoints, keeping the `last` and `best` ones. */
  prune(): void {
    const all = this.list();
    const keep = new Set(all.slice(-this.keepLast).map((e) => e.name));
    const last = this.last;
    if (last) keep.add(last.name);
    if (this.bestPointer) keep.add(this.bestPointer.name);
    for (const e of all) if (!keep.has(e.name)) fs.rmSync(path.join(this.dir, e.name), { recursive: true, force: true });
  }
}
