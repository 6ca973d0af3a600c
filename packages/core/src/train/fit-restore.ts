import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '../io/atomic-write';
import { checkpointsDir, loadCheckpoint, readManifest, readPointer, resolveIntactCheckpoint, type CheckpointPointer } from './checkpoint';
import { CheckpointManager } from './checkpoint-manager';
import { makeDirs } from './fs-utils';
import type { FitPlan } from './fit-plan';
import { freshStart, type FitStart, type LogWindow } from './fit-start';
import type { Callback } from './types';

/** The trainer state `fit` keeps in `state.json` besides the position. */
interface SavedTrainer {
  window?: LogWindow;
  stepsPerEpoch?: number;
  best?: CheckpointPointer | null;
  logRecords?: number;
}

/**
 * Resolve and check the checkpoint to resume from (its config hash), refuse (or, with `overwrite`, clear) a
 * fresh run over a folder that has checkpoints, load the checkpoint into the modules, optimisers, callbacks
 * and generators, and only then write the run folder (`config.json`, the checkpoint manager).
 */
export async function restoreFit<L, U>(plan: FitPlan<L, U>): Promise<FitStart> {
  const { options, configHash, optimizers, callbacks } = plan;
  const runDir = options.runDir;
  const warnings: string[] = [];

  // ---- resume check (before writing anything) ------------------------------------------------------
  let resumeDir: string | undefined;
  if (options.resume !== undefined) {
    // A damaged or incomplete latest checkpoint gives way to the newest intact one, with a warning.
    const intact = resolveIntactCheckpoint(options.resume, runDir);
    resumeDir = intact.dir;
    warnings.push(...intact.warnings);
    const m = readManifest(resumeDir);
    if (!options.allowConfigChange && m.configHash !== null && configHash !== null && m.configHash !== configHash) {
      throw new Error(
        `fit: cannot resume from ${resumeDir}: it was written with a different config (hash ${m.configHash.slice(0, 12)}…, this run ${configHash.slice(0, 12)}…). ` +
          'Pass allowConfigChange: true (lel train: --allow-config-change) to resume anyway.',
      );
    }
  }

  // ---- a fresh run over an existing one? ------------------------------------------------------------
  if (runDir && resumeDir === undefined && readPointer(runDir, 'last')) {
    if (!options.overwrite) {
      throw new Error(
        `fit: ${runDir} already has checkpoints (last: ${readPointer(runDir, 'last')!.name}). ` +
          'Pass resume: "last" to continue that run, overwrite: true to start over, or use another runDir.',
      );
    }
    fs.rmSync(checkpointsDir(runDir), { recursive: true, force: true });
  }

  // ---- restore state ---------------------------------------------------------------------------------
  const start = freshStart(plan);
  start.resumeDir = resumeDir;
  start.warnings = warnings;
  let bestAtCheckpoint: CheckpointPointer | undefined;
  const lrsAsBuilt = optimizers.map((o) => o.lr);
  if (resumeDir !== undefined) {
    const loaded = await loadCheckpoint(
      resumeDir,
      { ...plan.target, optimizers, callbacks: callbacks.items as Callback<never>[], rng: plan.rng, globalRng: plan.globalRng },
      { partial: options.partialResume ?? false },
    );
    const m = loaded.manifest;
    start.pos.step = m.step;
    start.pos.epoch = m.epoch;
    start.pos.batchInEpoch = m.batchInEpoch;
    if (options.data.unlabeled) start.pos.unlabeled = m.unlabeled ?? { cycle: 0, position: 0 };
    const trainer = m.trainer as SavedTrainer;
    if (trainer.window) start.window = trainer.window;
    start.logRecordsAtCheckpoint = trainer.logRecords;
    if (options.allowConfigChange && m.configHash !== configHash) {
      // A deliberate config change: the optimisers keep the learning rates they were built with.
      optimizers.forEach((o, i) => (o.lr = lrsAsBuilt[i]!));
    }
    if (trainer.stepsPerEpoch !== undefined && start.stepsPerEpoch === undefined) start.stepsPerEpoch = trainer.stepsPerEpoch;
    bestAtCheckpoint = trainer.best ?? undefined;
    start.lastEval = m.metrics ?? undefined;
    for (const w of loaded.warnings) if (!warnings.includes(w)) warnings.push(w);
  }

  // ---- run folder: written only once everything above succeeded ------------------------------------
  if (runDir) {
    makeDirs(runDir, 'run folder');
    if (plan.config !== undefined) writeFileAtomicSync(path.join(runDir, 'config.json'), JSON.stringify(plan.config, null, 2) + '\n');
    const ckpt = plan.checkpoint;
    if (ckpt) {
      start.manager = new CheckpointManager(runDir, { keepLast: ckpt.keepLast ?? 3, ...(ckpt.best ? { best: ckpt.best } : {}) });
      if (resumeDir !== undefined) start.manager.restoreBest(bestAtCheckpoint);
    }
  }
  return start;
}
