import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { formatLoadReport, Module, type LoadReport, type ModuleExtraState } from '../module/module';
import type { Optimizer } from '../optim/optimizer';
import type { Rng, RngState } from '../random/rng';
import { CallbackList } from './callbacks';
import { fsyncDir, readJsonFile, writeFileSynced } from './fs-utils';
import { decodeTensors, encodeTensors } from './tensor-io';
import type { Callback } from './types';
import { lelVersion } from './version';

/** `format` of every `state.json`. */
export const CHECKPOINT_FORMAT = 'lel-checkpoint';
/** Version of the checkpoint layout. */
export const CHECKPOINT_FORMAT_VERSION = 1;

/** Names of the files of a checkpoint folder. */
export const CHECKPOINT_FILES = {
  model: 'model.safetensors',
  optimizer: 'optimizer.safetensors',
  callbacks: 'callbacks.safetensors',
  state: 'state.json',
} as const;

/** Where the data streams stood when a checkpoint was written. */
export interface TrainPosition {
  /** Optimiser steps completed. */
  step: number;
  /** Epoch in progress (0-based). */
  epoch: number;
  /** Labelled batches of `epoch` already consumed; resume re-creates the epoch's iterator and skips them. */
  batchInEpoch: number;
  /** Unlabelled stream: which pass over it (cycle) and how many of its batches were consumed. */
  unlabeled: { cycle: number; position: number } | null;
}

/** Contents of `state.json`: everything besides tensors that a bit-exact resume needs. */
export interface CheckpointManifest extends TrainPosition {
  format: typeof CHECKPOINT_FORMAT;
  formatVersion: number;
  /** Run generator (`ctx.rng`) state. */
  rng: RngState | null;
  /** Process-wide generator (`globalRng()`, used by dropout) state. */
  globalRng: RngState | null;
  /**
   * The model(s)' non-tensor state ({@link Module.extraStateDict}): registered generators (dropout / DropBlock
   * masks) and module counters, by dotted name (`<module>.<name>` for several modules). Absent in checkpoints
   * written before @lel/core saved it: those load with a warning, leaving that state as it is.
   */
  moduleState?: ModuleExtraState;
  /** Position of the learning-rate schedule (the step index its next `lrAt` is called with). */
  schedule: { position: number } | null;
  /** Per optimiser, in order: steps taken and current lr (slots are in optimizer.safetensors). */
  optimizers: { stepCount: number; lr: number }[];
  /** `null`: one model saved under its own parameter names; else module names, tensors saved as `<module>.<name>`. */
  modules: string[] | null;
  /** JSON state of stateful callbacks, by callback name. */
  callbacks: Record<string, unknown>;
  /** The loop's own state (best metric, log window…). */
  trainer: Record<string, unknown>;
  /** Last evaluation metrics, if any. */
  metrics: Record<string, number> | null;
  /** SHA-256 of the resolved config (see `hashConfig`), or null. */
  configHash: string | null;
  lelVersion: string;
  /** tfjs backend that wrote it (bit-exact resume holds on the same backend). */
  backend: string;
  /** ISO time of writing. */
  timestamp: string;
  /** Files of the folder besides state.json. */
  files: string[];
}

/** What {@link saveCheckpoint} writes (and {@link loadCheckpoint} restores into). */
export interface CheckpointContents {
  /** A single model: its tensors keep their own names in model.safetensors. */
  model?: Module;
  /** Several modules (teacher + student…): tensors saved as `<module name>.<tensor name>`. */
  modules?: Record<string, Module>;
  optimizers?: Optimizer | readonly Optimizer[];
  /** Stateful callbacks (`state()`, `tensors()`). */
  callbacks?: readonly Callback<never>[];
  /** Generators to save/restore (run generator and the process-wide one). */
  rng?: Rng;
  globalRng?: Rng;
}

/** Extra manifest fields for {@link saveCheckpoint}. */
export interface SaveCheckpointOptions {
  position?: Partial<TrainPosition>;
  schedulePosition?: number;
  configHash?: string | null;
  metrics?: Record<string, number> | null;
  trainer?: Record<string, unknown>;
}

/** Options of {@link loadCheckpoint}. */
export interface LoadCheckpointOptions {
  /**
   * Load what matches and report the rest instead of refusing a checkpoint whose tensors differ from the
   * model (missing / unexpected / mis-shaped); optimiser and callback state that does not match is skipped.
   */
  partial?: boolean;
  /** Run folder for resolving `last` / `best`. */
  runDir?: string;
}

/** Result of {@link loadCheckpoint}. */
export interface LoadedCheckpoint {
  dir: string;
  manifest: CheckpointManifest;
  /** Differences between the checkpoint and the model(s) (empty lists when it matched exactly). */
  report: LoadReport;
  /** Problems skipped in partial mode (optimiser, callback or module state that did not match). */
  skipped: string[];
  /**
   * What was loaded but does not make the continuation bit-exact, e.g. a checkpoint written before module
   * generator / counter state was saved (`manifest.moduleState` absent) for a model that has such state.
   */
  warnings: string[];
}

/** Thrown when a checkpoint's tensors do not match the model; `report` lists every difference. */
export class CheckpointMismatchError extends Error {
  readonly report: LoadReport;
  readonly dir: string;
  constructor(dir: string, report: LoadReport) {
    const n = report.missing.length + report.unexpected.length + report.mismatched.length;
    super(
      `Checkpoint ${dir} does not match the model (${n} difference${n === 1 ? '' : 's'}):\n${formatLoadReport(report)}\n` +
        'Refusing to load it; load it as partial (loadCheckpoint {partial: true}, fit {partialResume: true}) to load only the matching tensors.',
    );
    this.name = 'CheckpointMismatchError';
    this.report = report;
    this.dir = dir;
  }
}

type FaultStage = 'files-written' | 'folder-renamed';
let faultHook: ((stage: FaultStage, dir: string) => void) | null = null;
/**
 * @internal Test hook simulating a crash: called at each commit stage of {@link saveCheckpoint}
 * (`files-written`: every file is in the temporary folder, nothing renamed; `folder-renamed`: the folder
 * is in place, pointers not yet updated). Throwing from it aborts the save there.
 */
export function setCheckpointFaultHook(fn: ((stage: FaultStage, dir: string) => void) | null): void {
  faultHook = fn;
}
/** @internal */
export function checkpointFault(stage: FaultStage, dir: string): void {
  faultHook?.(stage, dir);
}

function modulesOf(c: CheckpointContents): { named: [string, Module][]; prefixed: boolean } {
  if (c.model && c.modules) throw new Error('checkpoint: give either model or modules, not both');
  if (c.model) return { named: [['model', c.model]], prefixed: false };
  if (c.modules) {
    const named = Object.entries(c.modules);
    for (const [k, m] of named) {
      if (!(m instanceof Module)) throw new Error(`checkpoint: modules.${k} is not a Module`);
      if (!k || k.includes('.')) throw new Error(`checkpoint: module name "${k}" must be non-empty without dots`);
    }
    return { named, prefixed: true };
  }
  return { named: [], prefixed: false };
}

/** Non-tensor state of the model(s) as saved: own names for one model, `<module>.<name>` for several. */
export function collectModuleState(c: CheckpointContents): ModuleExtraState {
  const { named, prefixed } = modulesOf(c);
  const out: ModuleExtraState = { generators: {}, modules: {} };
  for (const [key, m] of named) {
    const s = m.extraStateDict();
    const name = (n: string) => (!prefixed ? n : n === '' ? key : `${key}.${n}`);
    for (const [n, g] of Object.entries(s.generators)) out.generators[name(n)] = g;
    for (const [n, v] of Object.entries(s.modules)) out.modules[name(n)] = v;
  }
  return out;
}

/** The part of a saved {@link ModuleExtraState} that belongs to module `key` (all of it for a single model). */
function moduleStateOf(saved: ModuleExtraState, key: string, prefixed: boolean): ModuleExtraState {
  if (!prefixed) return { generators: saved.generators ?? {}, modules: saved.modules ?? {} };
  const pick = <T>(rec: Record<string, T> | undefined): Record<string, T> => {
    const out: Record<string, T> = {};
    for (const [n, v] of Object.entries(rec ?? {})) {
      if (n === key) out[''] = v;
      else if (n.startsWith(key + '.')) out[n.slice(key.length + 1)] = v;
    }
    return out;
  };
  return { generators: pick(saved.generators), modules: pick(saved.modules) };
}

function optimizersOf(c: CheckpointContents): readonly Optimizer[] {
  if (!c.optimizers) return [];
  return Array.isArray(c.optimizers) ? (c.optimizers as readonly Optimizer[]) : [c.optimizers as Optimizer];
}

/** Tensors of the model(s) as saved: own names for one model, `<module>.<name>` for several. */
export function collectModelTensors(c: CheckpointContents): Map<string, tf.Tensor> {
  const { named, prefixed } = modulesOf(c);
  const out = new Map<string, tf.Tensor>();
  for (const [key, m] of named) for (const [n, t] of m.stateDict()) out.set(prefixed ? `${key}.${n}` : n, t);
  return out;
}

function collectOptimizerTensors(opts: readonly Optimizer[]): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  opts.forEach((o, i) => {
    for (const [n, t] of o.stateDict()) out.set(opts.length > 1 ? `${i}/${n}` : n, t);
  });
  return out;
}

/**
 * Write a full-state checkpoint folder: `model.safetensors` (weights and buffers), `optimizer.safetensors`
 * (slots by name), `callbacks.safetensors` (callback tensors, when any) and `state.json`
 * ({@link CheckpointManifest}: position, RNG states, the model(s)' generator and counter state
 * ({@link Module.extraStateDict}), schedule position, callback states, config hash, version, backend, time).
 *
 * Atomic: files are written and fsynced in a temporary sibling folder that is then renamed to `dir`
 * (replacing an existing folder of the same name), so a crash leaves either the previous content or the
 * new one, never a mix. Returns `dir`.
 */
export async function saveCheckpoint(dir: string, contents: CheckpointContents, options: SaveCheckpointOptions = {}): Promise<string> {
  const { named, prefixed } = modulesOf(contents);
  const optimizers = optimizersOf(contents);
  const callbacks = new CallbackList(contents.callbacks ?? []);
  const parent = path.dirname(path.resolve(dir));
  fs.mkdirSync(parent, { recursive: true });
  const tmp = path.join(parent, `.tmp-${path.basename(dir)}-${process.pid}-${Date.now()}`);
  fs.mkdirSync(tmp);
  try {
    const files: string[] = [CHECKPOINT_FILES.model];
    const meta = { format: CHECKPOINT_FORMAT, step: String(options.position?.step ?? 0) };
    writeFileSynced(path.join(tmp, CHECKPOINT_FILES.model), await encodeTensors(collectModelTensors(contents), meta));
    if (optimizers.length > 0) {
      writeFileSynced(path.join(tmp, CHECKPOINT_FILES.optimizer), await encodeTensors(collectOptimizerTensors(optimizers), meta));
      files.push(CHECKPOINT_FILES.optimizer);
    }
    const cbTensors = callbacks.tensors();
    if (cbTensors.size > 0) {
      writeFileSynced(path.join(tmp, CHECKPOINT_FILES.callbacks), await encodeTensors(cbTensors, meta));
      files.push(CHECKPOINT_FILES.callbacks);
    }
    const p = options.position ?? {};
    const manifest: CheckpointManifest = {
      format: CHECKPOINT_FORMAT,
      formatVersion: CHECKPOINT_FORMAT_VERSION,
      step: p.step ?? 0,
      epoch: p.epoch ?? 0,
      batchInEpoch: p.batchInEpoch ?? 0,
      unlabeled: p.unlabeled ?? null,
      rng: contents.rng ? contents.rng.state() : null,
      globalRng: contents.globalRng ? contents.globalRng.state() : null,
      moduleState: collectModuleState(contents),
      schedule: options.schedulePosition === undefined ? null : { position: options.schedulePosition },
      optimizers: optimizers.map((o) => ({ stepCount: o.stepCount, lr: o.lr })),
      modules: prefixed ? named.map(([k]) => k) : null,
      callbacks: callbacks.states(),
      trainer: options.trainer ?? {},
      metrics: options.metrics ?? null,
      configHash: options.configHash ?? null,
      lelVersion: lelVersion(),
      backend: tf.getBackend() ?? 'unknown',
      timestamp: new Date().toISOString(),
      files,
    };
    writeFileSynced(path.join(tmp, CHECKPOINT_FILES.state), JSON.stringify(manifest, null, 2) + '\n');
    fsyncDir(tmp);
    checkpointFault('files-written', dir);
    commitFolder(tmp, path.resolve(dir));
    checkpointFault('folder-renamed', dir);
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  return dir;
}

/** Rename `tmp` to `target`, moving an existing `target` aside first (restored by readers if we crash between). */
function commitFolder(tmp: string, target: string): void {
  const parent = path.dirname(target);
  if (fs.existsSync(target)) {
    const old = path.join(parent, `.old-${path.basename(target)}`);
    fs.rmSync(old, { recursive: true, force: true });
    fs.renameSync(target, old);
    fs.renameSync(tmp, target);
    fsyncDir(parent);
    fs.rmSync(old, { recursive: true, force: true });
  } else {
    fs.renameSync(tmp, target);
    fsyncDir(parent);
  }
}

/** Read `state.json` of a checkpoint folder, checking its format. */
export function readManifest(dir: string): CheckpointManifest {
  recoverMovedAside(dir);
  const file = path.join(dir, CHECKPOINT_FILES.state);
  if (!fs.existsSync(file)) throw new Error(`${dir} is not a checkpoint folder (no ${CHECKPOINT_FILES.state})`);
  const m = readJsonFile<CheckpointManifest>(file);
  if (m.format !== CHECKPOINT_FORMAT) throw new Error(`${file}: not a LEL checkpoint (format ${JSON.stringify(m.format)})`);
  if (m.formatVersion > CHECKPOINT_FORMAT_VERSION) {
    throw new Error(`${file}: checkpoint format version ${m.formatVersion} is newer than this @lel/core understands (${CHECKPOINT_FORMAT_VERSION})`);
  }
  return m;
}

// A crash between the two renames of commitFolder leaves `.old-<name>` and no `<name>`: put it back.
function recoverMovedAside(dir: string): void {
  const abs = path.resolve(dir);
  const old = path.join(path.dirname(abs), `.old-${path.basename(abs)}`);
  if (!fs.existsSync(abs) && fs.existsSync(old)) fs.renameSync(old, abs);
}

function readTensorFile(dir: string, name: string): Map<string, tf.Tensor> {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) return new Map();
  return decodeTensors(new Uint8Array(fs.readFileSync(file)), file).tensors;
}

/** Tensors of a checkpoint folder, as new tensors owned by the caller (dispose them). */
export interface CheckpointTensors {
  manifest: CheckpointManifest;
  model: Map<string, tf.Tensor>;
  optimizer: Map<string, tf.Tensor>;
  callbacks: Map<string, tf.Tensor>;
}

/**
 * Read a checkpoint folder without applying it (e.g. to inspect weights or load them into another
 * structure). `ref` is a checkpoint folder, a run folder (its last checkpoint), or `last` / `best` with
 * `runDir`. The caller owns (and disposes) the returned tensors.
 */
export function readCheckpoint(ref: string, runDir?: string): CheckpointTensors & { dir: string } {
  const dir = resolveCheckpoint(ref, runDir);
  const manifest = readManifest(dir);
  const model = readTensorFile(dir, CHECKPOINT_FILES.model);
  try {
    const optimizer = readTensorFile(dir, CHECKPOINT_FILES.optimizer);
    const callbacks = readTensorFile(dir, CHECKPOINT_FILES.callbacks);
    return { dir, manifest, model, optimizer, callbacks };
  } catch (e) {
    tf.dispose([...model.values()]);
    throw e;
  }
}

/** Differences between a tensor map and the model(s), without changing anything. */
export function compareWithModel(saved: Map<string, tf.Tensor>, contents: CheckpointContents): LoadReport {
  const own = collectModelTensors(contents);
  const report: LoadReport = { missing: [], unexpected: [], mismatched: [] };
  for (const n of own.keys()) if (!saved.has(n)) report.missing.push(n);
  for (const [n, t] of saved) {
    const target = own.get(n);
    if (!target) report.unexpected.push(n);
    else if (!tf.util.arraysEqual(target.shape, t.shape)) report.mismatched.push({ name: n, expected: target.shape, got: t.shape });
  }
  return report;
}

/**
 * Load a checkpoint into model(s), optimisers, callbacks and generators. `ref` is a checkpoint folder, a
 * run folder, or `last` / `best` with `options.runDir`.
 *
 * A checkpoint from a different model (missing, unexpected or mis-shaped tensors) is refused with a
 * {@link CheckpointMismatchError} listing every difference, before anything is changed — unless
 * `partial`, which loads the matching tensors and returns the differences in `report`. The model(s)'
 * generators and counters ({@link Module.extraStateDict}) are restored too; a mismatch in their names is
 * refused likewise (skipped when `partial`). A checkpoint written before they were saved loads with the
 * model's current generator and counter state and a line in `warnings` (the continuation is then not
 * bit-exact for models that draw dropout masks from their own generators).
 */
export async function loadCheckpoint(ref: string, target: CheckpointContents, options: LoadCheckpointOptions = {}): Promise<LoadedCheckpoint> {
  const { dir, manifest, model, optimizer, callbacks: cbTensors } = readCheckpoint(ref, options.runDir);
  const all = [...model.values(), ...optimizer.values(), ...cbTensors.values()];
  try {
    const partial = options.partial ?? false;
    const skipped: string[] = [];
    const { named, prefixed } = modulesOf(target);
    const savedPrefixed = manifest.modules !== null;
    if (named.length > 0 && savedPrefixed !== prefixed) {
      const what = (p: boolean) => (p ? 'several named modules' : 'a single model');
      const msg = `Checkpoint ${dir} holds ${what(savedPrefixed)}${savedPrefixed ? ` (${manifest.modules!.join(', ')})` : ''} but ${what(prefixed)} was given`;
      if (!partial) throw new Error(msg);
      skipped.push(msg);
    }
    const report = compareWithModel(model, target);
    const bad = report.missing.length + report.unexpected.length + report.mismatched.length;
    if (bad > 0 && !partial) throw new CheckpointMismatchError(dir, report);

    // Validate optimiser and callback state before changing anything.
    const optimizers = optimizersOf(target);
    const optStates: Map<string, tf.Tensor>[] = optimizers.map(() => new Map());
    if (optimizers.length > 0) {
      if (manifest.optimizers.length !== optimizers.length) {
        const msg = `Checkpoint ${dir} has state for ${manifest.optimizers.length} optimiser(s), ${optimizers.length} given`;
        if (!partial) throw new Error(msg);
        skipped.push(msg);
      } else {
        for (const [n, t] of optimizer) {
          if (optimizers.length === 1) optStates[0]!.set(n, t);
          else {
            const slash = n.indexOf('/');
            optStates[Number(n.slice(0, slash))]?.set(n.slice(slash + 1), t);
          }
        }
      }
    }
    const cbList = new CallbackList(target.callbacks ?? []);
    const cbProblems = cbList.checkLoad(manifest.callbacks);
    if (cbProblems.length > 0) {
      if (!partial) throw new Error(`Checkpoint ${dir} does not match the callbacks:\n  ${cbProblems.join('\n  ')}`);
      skipped.push(...cbProblems);
    }
    const warnings: string[] = [];
    const savedModuleState = manifest.moduleState;
    const moduleStates = savedModuleState ? named.map(([key]) => moduleStateOf(savedModuleState, key, prefixed)) : [];
    if (savedModuleState) {
      const msProblems = named.flatMap(([key, m], i) => m.compareExtraState(moduleStates[i]!).map((p) => (prefixed ? `${p} (module ${key})` : p)));
      if (msProblems.length > 0) {
        if (!partial) throw new Error(`Checkpoint ${dir} does not match the model's generators / module state:\n  ${msProblems.join('\n  ')}`);
        skipped.push(...msProblems.map((p) => `module state ${p.replace(/\s+/g, ' ')}`));
      }
    } else {
      const stateful = named.filter(([, m]) => m.namedGenerators().length > 0 || m.namedModules().some(([, s]) => s.hasExtraState()));
      if (stateful.length > 0) {
        warnings.push(
          `Checkpoint ${dir} has no module generator / counter state (written by @lel/core ${manifest.lelVersion ?? 'before it was saved'}): ` +
            `the model's own generators (dropout / DropBlock masks) and counters keep their current state, so this continuation is not bit-exact.`,
        );
      }
    }

    // Apply.
    if (optimizers.length > 0 && manifest.optimizers.length === optimizers.length) {
      optimizers.forEach((o, i) => {
        try {
          o.loadStateDict(optStates[i]!);
          o.lr = manifest.optimizers[i]!.lr;
          o.stepCount = manifest.optimizers[i]!.stepCount;
        } catch (e) {
          if (!partial) throw new Error(`Checkpoint ${dir}: optimiser ${i}: ${(e as Error).message}`);
          skipped.push(`optimiser ${i}: ${(e as Error).message}`);
        }
      });
    }
    for (const [key, m] of named) {
      const sub = new Map<string, tf.Tensor>();
      for (const [n, t] of model) {
        if (!prefixed) sub.set(n, t);
        else if (n.startsWith(key + '.')) sub.set(n.slice(key.length + 1), t);
      }
      m.loadStateDict(sub, { strict: false });
    }
    named.forEach(([, m], i) => {
      if (savedModuleState) m.loadExtraStateDict(moduleStates[i]!, { strict: false });
    });
    cbList.load(manifest.callbacks, cbTensors, true);
    if (target.rng && manifest.rng) target.rng.setState(manifest.rng);
    if (target.globalRng && manifest.globalRng) target.globalRng.setState(manifest.globalRng);
    return { dir, manifest, report, skipped, warnings };
  } finally {
    tf.dispose(all);
  }
}

// ---------------------------------------------------------------------------------------------------
// Run folders: runDir/checkpoints/step-000123/, pointer files `last` and `best`.

/** Contents of the pointer files `checkpoints/last` and `checkpoints/best`. */
export interface CheckpointPointer {
  /** Folder name inside `checkpoints/` (`step-000123`). */
  name: string;
  step: number;
  /** For `best`: the metric, its direction and value. */
  metric?: string;
  mode?: 'min' | 'max';
  value?: number;
}

/** `runDir/checkpoints`. */
export function checkpointsDir(runDir: string): string {
  return path.join(runDir, 'checkpoints');
}

/** Folder name of the checkpoint after `step` steps: `step-000123`. */
export function checkpointName(step: number): string {
  return `step-${String(step).padStart(6, '0')}`;
}

/** Read `checkpoints/last` or `checkpoints/best`, if present. */
export function readPointer(runDir: string, which: 'last' | 'best'): CheckpointPointer | undefined {
  const file = path.join(checkpointsDir(runDir), which);
  if (!fs.existsSync(file)) return undefined;
  const p = readJsonFile<CheckpointPointer>(file);
  if (typeof p?.name !== 'string') throw new Error(`${file}: not a checkpoint pointer (expected {"name": …})`);
  return p;
}

/**
 * Resolve a checkpoint reference to a checkpoint folder: `last` / `best` (with `runDir`), a checkpoint
 * folder (holds state.json), a run folder or its `checkpoints/` folder (→ their last checkpoint).
 */
export function resolveCheckpoint(ref: string, runDir?: string): string {
  if (ref === 'last' || ref === 'best') {
    if (!runDir) throw new Error(`resume: "${ref}" needs a runDir to look in`);
    const p = readPointer(runDir, ref);
    if (!p) throw new Error(`resume: "${ref}" but ${checkpointsDir(runDir)} has no ${ref} checkpoint (no pointer file "${ref}")`);
    const dir = path.join(checkpointsDir(runDir), p.name);
    recoverMovedAside(dir);
    if (!fs.existsSync(path.join(dir, CHECKPOINT_FILES.state))) {
      throw new Error(`resume: pointer ${path.join(checkpointsDir(runDir), ref)} names ${p.name}, which is missing or incomplete`);
    }
    return dir;
  }
  recoverMovedAside(ref);
  if (!fs.existsSync(ref)) throw new Error(`resume: checkpoint path ${ref} does not exist`);
  if (fs.existsSync(path.join(ref, CHECKPOINT_FILES.state))) return ref;
  if (fs.existsSync(path.join(ref, 'last'))) return resolveCheckpoint('last', path.dirname(path.resolve(ref)));
  if (fs.existsSync(path.join(checkpointsDir(ref), 'last'))) return resolveCheckpoint('last', ref);
  throw new Error(`resume: ${ref} is neither a checkpoint folder (no ${CHECKPOINT_FILES.state}) nor a run folder with checkpoints/last`);
}
