import type { CheckpointManager } from './checkpoint-manager';
import type { TrainPosition } from './checkpoint';
import type { FitPlan } from './fit-plan';

/** Sums of the step metrics since the last `train` record (saved in checkpoints so a resume logs the same means). */
export interface LogWindow {
  count: number;
  sums: Record<string, number>;
  /**
   * The epoch and learning rate of the window's last step, which its record carries: kept with the sums so that
   * the record a resumed run writes (the final one of a finished run, say) is the one the run would have written.
   */
  epoch?: number;
  lr?: number;
}

/** Where a run starts: fresh, or restored from a checkpoint, with its run folder ready. */
export interface FitStart {
  /** Checkpoint folder resumed from (undefined for a fresh run). */
  resumeDir: string | undefined;
  pos: TrainPosition;
  window: LogWindow;
  stepsPerEpoch: number | undefined;
  lastEval: Record<string, number> | undefined;
  /** `metrics.jsonl` records written up to the checkpoint (checkpoints of older versions lack it). */
  logRecordsAtCheckpoint: number | undefined;
  /** Node's checkpoint manager (with `runDir` and checkpointing on). */
  manager: CheckpointManager | undefined;
  warnings: string[];
}

/** A fresh run's start: step 0, nothing restored, no run folder (what `fit` uses in memory, and before a resume). */
export function freshStart<L, U>(plan: FitPlan<L, U>): FitStart {
  const { options } = plan;
  return {
    resumeDir: undefined,
    pos: { step: 0, epoch: 0, batchInEpoch: 0, unlabeled: options.data.unlabeled ? { cycle: 0, position: 0 } : null },
    window: { count: 0, sums: {} },
    stepsPerEpoch: options.stepsPerEpoch,
    lastEval: undefined,
    logRecordsAtCheckpoint: undefined,
    manager: undefined,
    warnings: [],
  };
}
