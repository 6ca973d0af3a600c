// Browser-agnostic on purpose: no node: import here (the run folder lives in `fit`).
import type { z } from 'zod';
import type { Module } from '../module/module';
import type { Optimizer } from '../optim/optimizer';
import type { EarlyStoppingOptions } from '../train/early-stopping';
import type { FitOptions, FitResult } from '../train/fit-options';
import { fit } from '../train/loop';
import type { Method, MethodParts } from './define-method';

/**
 * The run part of `fit`'s options — where and how a method's training runs, never what it trains. Passed to `fit`
 * as given: `maxSteps` caps the method's own length (a time budget; schedules keep the planned length),
 * `callbacks` run before the method's own, and `evaluate` / `evalEvery` / `earlyStopping` replace the method's
 * (`false` turns the method's evaluation or early stopping off).
 */
export interface MethodRunOptions<L = unknown, U = unknown>
  extends Pick<
    FitOptions<L, U>,
    | 'runDir'
    | 'resume'
    | 'partialResume'
    | 'allowConfigChange'
    | 'overwrite'
    | 'callbacks'
    | 'progress'
    | 'progressStream'
    | 'evalEvery'
    | 'checkpoint'
    | 'logEvery'
    | 'maxSteps'
    | 'nanGuard'
    | 'disposeBatches'
  > {
  /** Evaluation instead of the method's (e.g. an app's metrics on its own held-out data); `false`: none. */
  evaluate?: FitOptions<L, U>['evaluate'] | false;
  /** Early stopping instead of the method's; `false`: none. */
  earlyStopping?: EarlyStoppingOptions | false;
  /**
   * The config saved as `config.json` and hashed into checkpoints (a resume under a different hash is refused).
   * An app that embeds the method's config in a larger one passes the larger one. Default: the method's resolved
   * config.
   */
  config?: unknown;
}

/** What {@link runMethod} returns. */
export interface MethodRun<C, M extends Module, I, P> {
  /** The method's name. */
  method: string;
  /** The validated, defaulted config the method was built with. */
  config: C;
  /** The trained model (the caller owns it: dispose it when done). */
  model: M;
  /** Every trained module by name (`{ model }` for a single model). */
  modules: Record<string, Module>;
  /** How training went: steps, epochs, last loss, best evaluation, history, checkpoints. */
  result: FitResult;
  /** What the method reported besides (its `info`). */
  info: I;
  /** The method's inference function, bound to the trained model (undefined if it has none). */
  predict: P;
}

function asList(o: Optimizer | Optimizer[]): Optimizer[] {
  return Array.isArray(o) ? o : [o];
}

/** The `fit` options of one method run: the method's parts, then the run's options on top. */
export function fitOptionsOf<L, U>(parts: MethodParts<L, U, Module, unknown, unknown>, run: MethodRunOptions<L, U>, config: unknown, name: string): FitOptions<L, U> {
  if (!parts.model === !parts.modules) throw new Error(`${name}: build must return exactly one of model or modules`);
  if (!parts.loss === !parts.trainStep) throw new Error(`${name}: build must return exactly one of loss (named parts) or trainStep (custom update)`);
  if (parts.optimizers === undefined) throw new Error(`${name}: build returned no optimizers`);
  const { evaluate: runEvaluate, earlyStopping: runEarlyStopping, maxSteps: cap, config: savedConfig, callbacks: runCallbacks, ...runRest } = run;
  const evaluate = runEvaluate === false ? undefined : (runEvaluate ?? parts.evaluate);
  const earlyStopping = runEarlyStopping === false ? undefined : (runEarlyStopping ?? parts.earlyStopping);
  const maxSteps = cap === undefined ? parts.maxSteps : parts.maxSteps === undefined ? cap : Math.min(cap, parts.maxSteps);
  const callbacks = [...(runCallbacks ?? []), ...(parts.callbacks ?? [])];
  const options: FitOptions<L, U> = {
    ...(parts.model ? { model: parts.model } : { modules: parts.modules! }),
    optimizer: parts.optimizers,
    data: parts.data,
    config: savedConfig === undefined ? config : savedConfig,
    ...runRest,
  };
  if (parts.loss) options.step = parts.loss;
  else options.trainStep = parts.trainStep!;
  if (parts.schedule !== undefined) options.schedule = parts.schedule;
  if (parts.epochs !== undefined) options.epochs = parts.epochs;
  if (maxSteps !== undefined) options.maxSteps = maxSteps;
  if (parts.stepsPerEpoch !== undefined) options.stepsPerEpoch = parts.stepsPerEpoch;
  if (parts.seed !== undefined) options.seed = parts.seed;
  if (parts.gradClipNorm !== undefined) options.gradClipNorm = parts.gradClipNorm;
  if (parts.batchSize !== undefined) options.batchSize = parts.batchSize;
  if (evaluate !== undefined) options.evaluate = evaluate;
  const evalEvery = run.evalEvery ?? parts.evalEvery;
  if (evalEvery !== undefined) options.evalEvery = evalEvery;
  if (earlyStopping !== undefined) options.earlyStopping = earlyStopping;
  if (callbacks.length > 0) options.callbacks = callbacks;
  return options;
}

/**
 * Train a method: validate its config (every bad key named, before any work), `build` it on the data, and run
 * `fit` with the method's parts and the run's options (`run`: folder, resume, callbacks, progress, evaluation,
 * checkpointing). Resume with the same config and data: `run.resume: 'last'` continues bit-exactly.
 *
 * The optimisers are disposed when the run ends; the trained model is the caller's. When the run fails, the
 * method's `cleanup` frees what `build` created and the error is rethrown.
 *
 * @example
 * const { model, result } = await runMethod(entropyMin, { steps: 200 }, data, { runDir: 'runs/em', resume: 'last' });
 */
export async function runMethod<S extends z.ZodType, D, L, U, M extends Module, I, P>(
  method: Method<S, D, L, U, M, I, P>,
  config: z.input<S>,
  data: D,
  run: MethodRunOptions<NoInfer<L>, NoInfer<U>> = {},
): Promise<MethodRun<z.output<S>, M, I, P>> {
  const resolved = method.parseConfig(config);
  const parts = await method.build(resolved, data);
  let failed = true;
  try {
    const options = fitOptionsOf(parts as MethodParts<L, U, Module, unknown, unknown>, run, resolved, method.name);
    const result = await fit<L, U>(options);
    failed = false;
    const model = (parts.model ?? Object.values(parts.modules!)[0]) as M;
    return {
      method: method.name,
      config: resolved,
      model,
      modules: parts.modules ?? { model },
      result,
      info: parts.info as I,
      predict: parts.predict as P,
    };
  } finally {
    for (const o of asList(parts.optimizers ?? [])) o.dispose();
    await parts.cleanup?.({ failed });
  }
}
