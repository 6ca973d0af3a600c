import { runMethod, type Callback, type MethodRunOptions, type Module } from '@lel/core';
import { loadCheckpointWeights, saveBest } from '../weights';
import type { SwaOption, TrainLoop } from './common';
import { swaCallback, withSwaLr } from './swa';
import type { AnyRecipe, PreparedRun, RecipeContext, RunSummary } from './types';

/** What a recipe's run returns to `lel train` (the CLI adds recipe, package, task and wall time). */
export type RecipeOutcome = Omit<RunSummary, 'recipe' | 'package' | 'task' | 'wallSeconds'>;

/** What a run returns when Ctrl-C stopped its training (the CLI reports the checkpoint; nothing else is written). */
export function interruptedRun(result: { steps: number }): RecipeOutcome {
  return { metrics: {}, params: { total: 0, trainable: 0 }, steps: result.steps, stopReason: 'interrupted', bestFrom: '', notes: [] };
}

/**
 * The app's run options for a recipe's method (`runMethod`'s `run`): the run folder and resume, the app's callbacks
 * (Ctrl-C, loggers) and SWA, the recipe's evaluation every `train.evalEvery` steps, checkpoints every
 * `train.checkpointEvery` steps with the best by `bestMetric`, early stopping after `train.earlyStop` evaluations
 * without improvement, the `train.maxSteps` budget, and the whole app config as the run's config.
 */
export function appRunOptions(config: { train: TrainLoop }, ctx: RecipeContext, prep: Pick<PreparedRun, 'evaluate' | 'bestMetric'>, extra: Callback<never>[] = []): MethodRunOptions {
  const t = config.train;
  const metric = prep.bestMetric;
  if (metric === null && t.earlyStop > 0) throw new Error('train.earlyStop: this run\'s data has nothing to evaluate on (no dev part), so it cannot stop early; set train.earlyStop=0 or give the data a dev part');
  return {
    runDir: ctx.runDir,
    ...(ctx.resume !== undefined ? { resume: ctx.resume } : {}),
    ...(ctx.allowConfigChange ? { allowConfigChange: true } : {}),
    progress: ctx.progress,
    callbacks: [...ctx.callbacks, ...extra] as Callback<unknown>[],
    ...(metric !== null ? { evaluate: (tc: { model: Module }) => prep.evaluate(tc.model), evalEvery: { steps: t.evalEvery } } : {}),
    earlyStopping: metric !== null && t.earlyStop > 0 ? { metric, mode: 'max', patience: t.earlyStop } : false,
    logEvery: t.logEvery,
    checkpoint: { every: { steps: t.checkpointEvery }, keepLast: t.keepLast, ...(metric !== null ? { best: { metric, mode: 'max' as const } } : {}) },
    ...(t.maxSteps !== undefined ? { maxSteps: t.maxSteps } : {}),
    config,
  };
}

/** Pick the weights a run keeps: SWA's average when enabled, else the best-by-metric checkpoint, else the last. */
export function keepWeights(model: Module, result: { best?: { checkpoint?: string; step: number; value: number; metric: string } }, swaEnabled: boolean, prefix = ''): string {
  if (swaEnabled) return 'SWA-averaged weights at the end of training';
  if (result.best?.checkpoint) {
    loadCheckpointWeights(result.best.checkpoint, model, prefix);
    return `best ${result.best.metric} (${result.best.value.toFixed(4)}) at step ${result.best.step}`;
  }
  return 'weights at the end of training';
}

/**
 * Train a recipe: `prepare` (data, method, config, evaluation) → `runMethod` with the app's run options →
 * the weights to keep (SWA's, the best checkpoint's, or the last) → the report on them → `best/` → `finish`.
 * Every model is freed at the end, the data too.
 */
export async function runRecipe(recipe: AnyRecipe, config: { train: TrainLoop; swa: SwaOption }, ctx: RecipeContext): Promise<RecipeOutcome> {
  const prep = await recipe.prepare(config, ctx);
  if ('interrupted' in prep) return interruptedRun({ steps: prep.interrupted });
  const models = new Set<Module>(prep.models ?? []);
  const swa = swaCallback<unknown>(config.swa, { evaluate: (m) => prep.evaluate(m), ...(prep.swaBnData ? { bnData: prep.swaBnData } : {}) });
  try {
    const r = await runMethod(withSwaLr(prep.method, config.swa, config.train.maxSteps), prep.config, prep.data, appRunOptions(config, ctx, prep, swa ? [swa as Callback<never>] : []));
    for (const m of Object.values(r.modules)) models.add(m);
    if (r.result.stopReason === 'interrupted') return interruptedRun(r.result);
    const model = r.model;
    const bestFrom =
      (config.train.keep ?? prep.keep) === 'last' && !config.swa.enabled
        ? 'weights at the end of training'
        : keepWeights(model, r.result, config.swa.enabled, Object.keys(r.modules).length > 1 ? `${Object.keys(r.modules)[0]}.` : '');
    model.eval();
    const report = await prep.report(model);
    const finished = (await prep.finish?.(model, r.result, r.info)) ?? {};
    await saveBest(ctx.runDir, model, { recipe: recipe.name, bestFrom, steps: r.result.steps, ...finished.info });
    const counts = model.countParameters();
    return {
      ...report,
      metrics: { ...report.metrics, ...finished.metrics },
      params: { total: counts.all, trainable: counts.trainable },
      steps: r.result.steps,
      stopReason: r.result.stopReason,
      bestFrom,
      notes: [...(prep.notes ?? []), ...(finished.notes ?? [])],
    };
  } finally {
    swa?.dispose();
    for (const m of models) m.dispose();
    prep.dispose();
  }
}
