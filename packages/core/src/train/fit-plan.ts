import { Module } from '../module/module';
import type { Parameter } from '../module/parameter';
import type { NamedParameter, Optimizer } from '../optim/optimizer';
import type { Rng } from '../random/rng';
import { globalRng, Rng as RunRng } from '../random/rng';
import { CallbackList } from './callbacks';
import type { FitCheckpointOptions, FitOptions } from './fit-options';
import { hashConfig, validateConfig } from './config';
import { EarlyStopping } from './early-stopping';
import type { Callback, LrScheduleLike } from './types';

/** A period of {@link FitOptions}, parsed: every `steps` and/or every `epochs`. */
export interface EveryParsed {
  steps?: number;
  epochs?: number;
}

/**
 * Everything `fit` derives from its options before any work: validated, with defaults applied. Building it
 * throws on the first bad option and touches neither the file system nor the modules.
 */
export interface FitPlan<L, U> {
  options: FitOptions<L, U>;
  /** The config as validated by `configSchema` (or as given). */
  config: unknown;
  configHash: string | null;
  optimizers: Optimizer[];
  /** One entry per optimiser (undefined: that optimiser keeps its lr). */
  schedules: (LrScheduleLike | undefined)[];
  /** The union of the optimisers' parameters: what the default step differentiates. */
  params: NamedParameter[];
  modules: Record<string, Module>;
  /** `options.model`, or the first of `options.modules`. */
  model: Module;
  /** What checkpoints save: `{ model }` (own names) or `{ modules }` (prefixed names). */
  target: { model: Module } | { modules: Record<string, Module> };
  seed: string;
  logEvery: number;
  disposeBatches: boolean;
  nanGuard: { enabled: boolean; grads: boolean };
  evalEvery: EveryParsed;
  /** Checkpointing, or undefined when off. */
  checkpoint: FitCheckpointOptions | undefined;
  checkpointEvery: EveryParsed;
  earlyStopping: EarlyStopping | undefined;
  callbacks: CallbackList<U>;
  /** The run's generator (`ctx.rng`). */
  rng: Rng;
  /** The process-wide generator (dropout), saved in checkpoints. */
  globalRng: Rng;
  /** Generators the modules draw masks from (each once): their cached normals are dropped at step boundaries too. */
  moduleGenerators: Rng[];
}

function parseEvery(e: FitOptions<unknown>['evalEvery'], key: string): EveryParsed {
  if (e === undefined) return {};
  const obj = typeof e === 'number' ? { steps: e } : e;
  for (const [k, v] of Object.entries(obj)) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1)) throw new Error(`fit: ${key}.${k} must be an integer >= 1, got ${v}`);
  }
  return obj;
}

function checkCount(v: number | undefined, key: string, min: number): void {
  if (v !== undefined && (!Number.isInteger(v) || v < min)) throw new Error(`fit: ${key} must be an integer >= ${min}, got ${v}`);
}

/** Union of the optimisers' parameters (a name managed by two optimisers must be the same parameter). */
function collectParams(optimizers: readonly Optimizer[]): NamedParameter[] {
  const byName = new Map<string, Parameter>();
  for (const o of optimizers) {
    for (const [n, p] of o.namedParameters()) {
      const prev = byName.get(n);
      if (prev && prev !== p) throw new Error(`fit: two optimisers manage different parameters under the same name "${n}"`);
      byName.set(n, p);
    }
  }
  return [...byName];
}

/**
 * Validate `fit`'s options (naming the bad one) and derive the {@link FitPlan}: the config is checked
 * against `configSchema` first, then the model(s), the step, the data, the lengths, the optimisers and
 * schedules, the evaluation / checkpoint periods and the callbacks.
 */
export function planFit<L, U>(options: FitOptions<L, U>): FitPlan<L, U> {
  const config = options.configSchema ? validateConfig(options.configSchema, options.config, { source: 'config' }) : options.config;
  if (!options.model === !options.modules) throw new Error('fit: give exactly one of model or modules');
  if (options.model && !(options.model instanceof Module)) throw new Error('fit: model must be a Module');
  if (!options.step === !options.trainStep) throw new Error('fit: give exactly one of step (loss function) or trainStep (custom update)');
  if (!options.data || typeof options.data.labeled !== 'function') throw new Error('fit: data.labeled must be a function (epoch, rng) => Iterable of batches');
  if (options.data.unlabeled !== undefined && typeof options.data.unlabeled !== 'function') throw new Error('fit: data.unlabeled must be a function (cycle, rng) => Iterable of batches');
  if (options.maxSteps === undefined && options.epochs === undefined) throw new Error('fit: give maxSteps and/or epochs');
  checkCount(options.maxSteps, 'maxSteps', 0);
  checkCount(options.epochs, 'epochs', 0);
  checkCount(options.logEvery, 'logEvery', 1);
  checkCount(options.stepsPerEpoch, 'stepsPerEpoch', 1);
  if (options.gradClipNorm !== undefined && !(options.gradClipNorm > 0)) throw new Error(`fit: gradClipNorm must be > 0, got ${options.gradClipNorm}`);
  const optimizers: Optimizer[] = options.optimizer === undefined ? [] : Array.isArray(options.optimizer) ? options.optimizer : [options.optimizer];
  if (options.step && optimizers.length === 0) throw new Error('fit: the default step mode needs an optimizer');
  const schedules: (LrScheduleLike | undefined)[] = Array.isArray(options.schedule)
    ? options.schedule
    : optimizers.map(() => options.schedule as LrScheduleLike | undefined);
  if (Array.isArray(options.schedule) && options.schedule.length !== optimizers.length) {
    throw new Error(`fit: ${options.schedule.length} schedules for ${optimizers.length} optimisers`);
  }
  const evalEvery = parseEvery(options.evalEvery ?? { epochs: 1 }, 'evalEvery');
  const checkpoint = options.checkpoint === false ? undefined : options.checkpoint ?? (options.runDir ? {} : undefined);
  if (checkpoint && !options.runDir) throw new Error('fit: checkpoint needs a runDir');
  const checkpointEvery = parseEvery(checkpoint?.every ?? { epochs: 1 }, 'checkpoint.every');
  if (options.resume !== undefined && (options.resume === 'last' || options.resume === 'best') && !options.runDir) {
    throw new Error(`fit: resume "${options.resume}" needs a runDir`);
  }
  if (checkpoint?.best && !options.evaluate) throw new Error('fit: checkpoint.best needs an evaluate function');
  if (options.earlyStopping && !options.evaluate) throw new Error('fit: earlyStopping needs an evaluate function');
  const earlyStopping = options.earlyStopping ? new EarlyStopping(options.earlyStopping) : undefined;
  const callbacks = new CallbackList<U>([...(options.callbacks ?? []), ...(earlyStopping ? [earlyStopping as Callback<U>] : [])]);

  const modules: Record<string, Module> = options.modules ?? { model: options.model! };
  for (const [k, m] of Object.entries(modules)) if (!(m instanceof Module)) throw new Error(`fit: modules.${k} must be a Module`);
  const model = options.model ?? Object.values(modules)[0];
  if (!model) throw new Error('fit: modules is empty');
  const params = collectParams(optimizers);
  const seed = String(options.seed ?? 0);
  const nanGuard = options.nanGuard ?? true;
  return {
    options,
    config,
    configHash: config === undefined ? null : hashConfig(config),
    optimizers,
    schedules,
    params,
    modules,
    model,
    target: options.model ? { model: options.model } : { modules },
    seed,
    logEvery: options.logEvery ?? 10,
    disposeBatches: options.disposeBatches ?? true,
    nanGuard: { enabled: nanGuard !== false, grads: typeof nanGuard === 'object' && nanGuard.grads === true },
    evalEvery,
    checkpoint,
    checkpointEvery,
    earlyStopping,
    callbacks,
    rng: new RunRng(`${seed}/train`),
    globalRng: globalRng(),
    moduleGenerators: [...new Set(Object.values(modules).flatMap((m) => m.namedGenerators().map(([, g]) => g)))],
  };
}
