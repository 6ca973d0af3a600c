import * as fs from 'node:fs';
import * as path from 'node:path';
import { formatBanner } from './banner';
import { parseBackend, setupBackend } from './backend';
import { RESOLVED_CONFIG, resolveConfig, writeResolvedConfig } from './config/load';
import { getRecipe } from './recipes';
import { runRecipe } from './recipes/run-recipe';
import type { AnyRecipe, RunSummary } from './recipes/types';
import { writeRunReport } from './report';
import { defaultRunDir, hasCheckpoints, writeSummary } from './run-dir';
import { Interrupt } from './signals';
import { type Callback, type ProgressMode } from '@lel/core';
import { makeDirs, tensorBoardLogger } from '@lel/core/node';

import { LOGGERS } from './cli-options';

export { LOGGERS };
export type LoggerName = (typeof LOGGERS)[number];

/** Options of {@link trainCommand} (the `lel train` flags). */
export interface TrainOptions {
  config?: string;
  set?: string[];
  backend?: string;
  resume?: string;
  /** `--allow-config-change`: resume a run although the config (with --config / --set) differs from its checkpoint's. */
  allowConfigChange?: boolean;
  out?: string;
  progress?: ProgressMode;
  /** Where log lines go (default stderr). */
  log?: (line: string) => void;
  /** Skip writing report.html (bench writes one comparison instead). */
  noReport?: boolean;
  /** Resolve and return the config without training (`--print-config`); nothing is written. */
  printConfig?: boolean;
  /**
   * Metric loggers (`--logger`): `jsonl` (always on: metrics.jsonl) and `tensorboard` (event files in
   * `<run>/tensorboard`, every `train.logEvery` steps, for `tensorboard --logdir runs`).
   */
  loggers?: LoggerName[];
  /** Further training callbacks, after the app's own (e.g. the step profiler of the GPU method benchmark). */
  callbacks?: Callback<never>[];
}

/** What a train command produced. */
export interface TrainOutcome {
  runDir: string;
  summary: RunSummary | undefined;
  interrupted: boolean;
  /** The backend the run trained on (`cpu`, `wasm`, `webgpu`, …). */
  backend?: string;
  /** With `printConfig`: the resolved config. */
  config?: unknown;
}

/**
 * `lel train <recipe>`: resolve the config (recipe defaults ← --config ← --set, validated), set up the backend and
 * seed, print the banner, write config.resolved.yaml, train with Ctrl-C → checkpoint, keep `best/`, evaluate,
 * write summary.json and report.html. `--resume last|PATH` continues a run from its checkpoint with the run's own
 * resolved config (plus any --set, which the config-hash check then has to accept).
 */
export async function trainCommand(recipeName: string, options: TrainOptions = {}): Promise<TrainOutcome> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const recipe = getRecipe(recipeName);
  if (options.printConfig) {
    // The config a run would use: a resumed run's own resolved config when --resume names one, plus --config / --set.
    const resumed = options.resume && options.resume !== 'last' && options.resume !== 'best' ? path.resolve(options.resume) : options.resume ? options.out : undefined;
    const fromRun = resumed && fs.existsSync(path.join(resumed, RESOLVED_CONFIG)) ? path.join(resumed, RESOLVED_CONFIG) : undefined;
    const config = resolveTrainConfig(recipe, { file: options.config ?? fromRun, sets: options.set ?? [] });
    return { runDir: '', summary: undefined, interrupted: false, config };
  }
  let runDir = options.out;
  let resume = options.resume;
  let configFile = options.config;
  if (resume !== undefined) {
    // The run whose resolved config the continuation uses: the resumed path's run, else --out.
    let source: string;
    if (resume !== 'last' && resume !== 'best') {
      const p = path.resolve(resume);
      if (!fs.existsSync(p)) throw new Error(`--resume ${resume}: no such run or checkpoint folder`);
      if (fs.existsSync(path.join(p, RESOLVED_CONFIG))) source = p; // a run folder
      else if (fs.existsSync(path.join(p, 'state.json'))) source = path.dirname(path.dirname(p)); // run/checkpoints/step-N
      else if (fs.existsSync(path.join(p, 'last'))) source = path.dirname(p); // run/checkpoints
      else throw new Error(`--resume ${resume}: neither a run folder (no ${RESOLVED_CONFIG}) nor a checkpoint folder (no state.json)`);
      runDir ??= source;
    } else {
      if (!runDir) throw new Error(`--resume ${resume} needs --out <run folder> (the run to continue)`);
      if (!fs.existsSync(runDir)) throw new Error(`--resume ${resume}: the run folder ${runDir} does not exist`);
      source = runDir;
    }
    if (!fs.existsSync(path.join(source, RESOLVED_CONFIG))) throw new Error(`--resume ${resume}: ${source} is not a run folder (no ${RESOLVED_CONFIG})`);
    configFile ??= path.join(source, RESOLVED_CONFIG);
    if (!hasCheckpoints(runDir) && resume === 'last') {
      log(`[lel] ${runDir} has no checkpoint yet: starting it from scratch`);
      resume = undefined;
    }
  }
  runDir ??= defaultRunDir(recipe.name);
  if (resume === undefined && hasCheckpoints(runDir)) {
    throw new Error(`${runDir} already holds a run with checkpoints: continue it with --resume last, or choose another --out`);
  }
  const config = resolveTrainConfig(recipe, { file: configFile, sets: options.set ?? [] }) as { seed: number };
  const backend = await setupBackend(parseBackend(options.backend), config.seed);
  makeDirs(runDir, 'run folder');
  log(formatBanner({ command: 'train', recipe: recipe.name, methodPackage: recipe.package, backend, seed: config.seed, runDir, resume, data: dataLine(config) }));
  writeResolvedConfig(runDir, config);
  for (const l of options.loggers ?? []) if (!(LOGGERS as readonly string[]).includes(l)) throw new Error(`--logger ${l}: choose from ${LOGGERS.join(', ')}`);
  const loggerCallbacks: Callback[] = options.loggers?.includes('tensorboard')
    ? [tensorBoardLogger({ logEvery: (config as { train?: { logEvery?: number } }).train?.logEvery ?? 1 })]
    : [];
  const interrupt = new Interrupt().install();
  const started = Date.now();
  let summary: RunSummary;
  try {
    const out = await runRecipe(recipe, config as unknown as Parameters<typeof runRecipe>[1], { runDir, resume, ...(options.allowConfigChange ? { allowConfigChange: true } : {}), progress: options.progress ?? 'auto', callbacks: [interrupt.callback, ...(loggerCallbacks as Callback<never>[]), ...(options.callbacks ?? [])], log });
    if (out.stopReason === 'interrupted') {
      log(`[lel] interrupted: checkpoint saved in ${path.join(runDir, 'checkpoints')}; continue with \`lel train ${recipe.name} --resume last --out ${runDir}\``);
      return { runDir, summary: undefined, interrupted: true, backend: backend.name };
    }
    summary = { recipe: recipe.name, package: recipe.package, task: recipe.task, wallSeconds: (Date.now() - started) / 1000, ...out };
    writeSummary(runDir, summary);
    if (!options.noReport) {
      const report = writeRunReport([runDir], path.join(runDir, 'report.html'));
      log(`[lel] report: ${report}`);
    }
    log(`[lel] ${recipe.name} finished in ${summary.wallSeconds.toFixed(1)} s: ${Object.entries(summary.metrics).map(([k, v]) => `${k}=${v.toFixed(4)}`).join(', ')}`);
  } finally {
    interrupt.uninstall();
  }
  return { runDir, summary, interrupted: false, backend: backend.name };
}

/**
 * The config `lel train <recipe>` runs with: the recipe defaults ← `--config` file ← `--set` overrides, validated by
 * the recipe's schema (`lel sweep` resolves every run of a grid with it, so a run's id is the hash of exactly this).
 */
export function resolveTrainConfig(recipe: AnyRecipe, inputs: { file?: string | undefined; sets?: readonly string[] }): unknown {
  return resolveConfig(recipe.schema, { defaults: { ...recipe.defaults, recipe: recipe.name }, file: inputs.file, sets: inputs.sets ?? [], ...(recipe.moved ? { moved: recipe.moved } : {}) });
}

/** One banner line describing the data section of a config. */
function dataLine(config: unknown): string | undefined {
  const data = (config as { data?: unknown }).data;
  if (!data || typeof data !== 'object') return undefined;
  return Object.entries(data as Record<string, unknown>).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(' ');
}
