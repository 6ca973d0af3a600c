import { FitSession } from './fit-session';
import type { FitOptions, FitResult } from './fit-options';
import { planFit } from './fit-plan';
import { nodeHost, requireNodeHost } from '../host';
import { freshStart } from './fit-start';

export type { Every, FitCheckpointOptions, FitOptions, FitResult } from './fit-options';

/**
 * Train: the loop every LEL method runs through (Lightning / HF Trainer in spirit).
 *
 * Per step: lr from the schedule → `onStepStart` → the method's `step` inside the gradient scope (or its
 * own `trainStep`) → NaN guard → gradient clipping → `onAfterBackward` → optimiser update → disposal of
 * the batch, loss and gradients → `onStepEnd` → logging, progress, evaluation, checkpoints. Labelled data
 * drives the epochs; the unlabelled stream cycles beside it independently.
 *
 * Resume is bit-exact on the same backend and seed: checkpoints hold weights, optimiser slots, the step,
 * the epoch and the position in it, generator states (the run's, the process-wide one and those the modules
 * registered for their dropout masks, see `Module.registerGenerator`), module counters
 * (`Module.extraState`) and callback state; resuming re-creates the epoch's
 * iterator with the same epoch generator and skips the batches already consumed (so data sources must be
 * deterministic functions of `(epoch, rng)`).
 *
 * @throws ConfigValidationError before any work when `config` fails `configSchema`.
 * @throws NonFiniteLossError when a loss is NaN/Inf (the weights are left as before that step; the last
 *   checkpoint is kept).
 * @throws CheckpointMismatchError when resuming from a checkpoint of a different model.
 */
export async function fit<L, U = never>(options: FitOptions<L, U>): Promise<FitResult> {
  const plan = planFit(options); // validate: every option checked before any work
  // Run folders, checkpoints and resuming live in Node's host (`@lel/core/node`, loaded with @lel/core in Node);
  // without one (a web page) fit trains in memory.
  const host = options.runDir !== undefined || options.resume !== undefined ? requireNodeHost('fit: runDir/resume') : nodeHost();
  const start = host ? await host.restore(plan) : freshStart(plan); // restore: resume checks, checkpoint loading, then the run folder
  const session = new FitSession(plan, start, host);
  await session.run(); // loop: epochs → steps, with logging, evaluation and checkpoints
  return session.result(); // finish
}
