import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { formatLoadReport, Module, type LoadReport, type ModuleExtraState } from '../module/module';
import type { Optimizer } from '../optim/optimizer';
import type { Rng, RngState } from '../random/rng';
import { CallbackList } from './callbacks';
import { checkFileDigest, CheckpointIntegrityError, manifestDigest, sealManifest, sha256Hex, unverifiedWarning } from './checkpoint-integrity';
import { fsyncDir } from '../io/atomic-write';
import { describeFsError, makeDirs, readJsonFile, writeFileSynced } from './fs-utils';
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
  /**
   * SHA-256 (hex) of every file of the folder, `state.json` included (hashed with its own entry empty);
   * verified by {@link readCheckpoint} / {@link loadCheckpoint}. Absent in checkpoints written before
   * @lel/core recorded them: those load with a warning.
   */
  sha256?: Record<string, string>;
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
  makeDirs(parent, 'checkpoint folder');
  const tmp = path.join(parent, `.tmp-${path.basename(dir)}-${process.pid}-${Date.now()}`);
  try {
    fs.mkdirSync(tmp);
  } catch (e) {
    throw new Error(`cannot write checkpoint ${dir}: ${describeFsError(e)} (mkdir ${tmp})`, { cause: e });
  }
  try {
    const files: string[] = [];
    const sha256: Record<string, string> = {};
    const write = (name: string, bytes: Uint8Array): void => {
      writeFileSynced(path.join(tmp, name), bytes);
      files.push(name);
      sha256[name] = sha256Hex(bytes);
    };
    const meta = { format: CHECKPOINT_FORMAT, step: String(options.position?.step ?? 0) };
    write(CHECKPOINT_FILES.model, await encodeTensors(collectModelTensors(contents), meta));
    if (optimizers.length > 0) write(CHECKPOINT_FILES.optimizer, await encodeTensors(collectOptimizerTensors(optimizers), meta));
    const cbTensors = callbacks.tensors();
    if (cbTensors.size > 0) write(CHECKPOINT_FILES.callbacks, await encodeTensors(cbTensors, meta));
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
      sha256,
    };
    writeFileSynced(path.join(tmp, CHECKPOINT_FILES.state), sealManifest(manifest).text);
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

/**
 * Read `state.json` of a checkpoint folder, checking its format and, when the checkpoint records SHA-256
 * sums, that the manifest itself is intact ({@link CheckpointIntegrityError} otherwise).
 */
export function readManifest(dir: string): CheckpointManifest {
  recoverMovedAside(dir);
  const file = path.join(dir, CHECKPOINT_FILES.state);
  if (!fs.existsSync(file)) throw new Error(`${dir} is not a checkpoint folder (no ${CHECKPOINT_FILES.state})`);
  let m: CheckpointManifest;
  try {
    m = readJsonFile<CheckpointManifest>(file);
  } catch (e) {
    throw new CheckpointIntegrityError(dir, CHECKPOINT_FILES.state, `is unreadable (${(e as Error).message.replace(`${file} `, '').replace(`${file}: `, '')})`);
  }
  if (typeof m !== 'object' || m === null) throw new CheckpointIntegrityError(dir, CHECKPOINT_FILES.state, 'is not a JSON object');
  if (m.sha256 !== undefined && manifestDigest(m) !== m.sha256[CHECKPOINT_FILES.state]) {
    throw new CheckpointIntegrityError(dir, CHECKPOINT_FILES.state, 'does not match the SHA-256 it records for itself (edited or damaged)');
  }
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

/** Bytes of a checkpoint file, checked against the manifest's SHA-256 when it records them. */
function readCheckedFile(dir: string, name: string, manifest: CheckpointManifest): Uint8Array | undefined {
  const file = path.join(dir, name);
  const listed = manifest.files.includes(name);
  if (!fs.existsSync(file)) {
    if (listed && manifest.sha256) throw new CheckpointIntegrityError(dir, name, 'is missing');
    return undefined;
  }
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(fs.readFileSync(file));
  } catch (e) {
    throw new CheckpointIntegrityError(dir, name, `cannot be read (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (manifest.sha256) checkFileDigest(dir, name, bytes, manifest.sha256);
  return bytes;
}

/**
 * Check a checkpoint folder against the SHA-256 sums of its manifest without loading it: returns the
 * warnings (a checkpoint written before sums were recorded cannot be verified), throws a
 * {@link CheckpointIntegrityError} naming the first damaged, missing or unreadable file.
 */
export function verifyCheckpoint(dir: string): string[] {
  const manifest = readManifest(dir);
  if (!manifest.sha256) return [unverifiedWarning(dir, manifest.lelVersion)];
  for (const name of manifest.files) readCheckedFile(dir, name, manifest);
  return [];
}

/** Tensors of a checkpoint folder, as new tensors owned by the caller (dispose them). */
export interface CheckpointTensors {
  manifest: CheckpointManifest;
  model: Map<string, tf.Tensor>;
  optimizer: Map<string, tf.Tensor>;
  callbacks: Map<string, tf.Tensor>;
  /** E.g. a checkpoint without SHA-256 sums (written before they were recorded): loaded unverified. */
  warnings: string[];
}

/**
 * Read a checkpoint folder without applying it (e.g. to inspect weights or load them into another
 * structure). `ref` is a checkpoint folder, a run folder (its last checkpoint), or `last` / `best` with
 * `runDir`. Every file is checked against the manifest's SHA-256 sums first: a damaged checkpoint throws a
 * {@link CheckpointIntegrityError} naming the file (for `last` and run folders, the previous intact
 * checkpoint is read instead, with a warning — see {@link resolveIntactCheckpoint}). The caller owns (and
 * disposes) the returned tensors.
 */
export function readCheckpoint(ref: string, runDir?: string): CheckpointTensors & { dir: string } {
  const resolved = resolveIntactCheckpoint(ref, runDir);
  const dir = resolved.dir;
  const manifest = readManifest(dir);
  const warnings = [...resolved.warnings];
  if (!manifest.sha256 && !warnings.some((w) => w.includes('no SHA-256 sums'))) warnings.push(unverifiedWarning(dir, manifest.lelVersion));
  // Verify every file before decoding any, so a damaged checkpoint allocates no tensors.
  const bytes = new Map<string, Uint8Array | undefined>();
  for (const name of [CHECKPOINT_FILES.model, CHECKPOINT_FILES.optimizer, CHECKPOINT_FILES.callbacks]) bytes.set(name, readCheckedFile(dir, name, manifest));
  const decode = (name: string): Map<string, tf.Tensor> => {
    const b = bytes.get(name);
    return b === undefined ? new Map() : decodeTensors(b, path.join(dir, name)).tensors;
  };
  const model = decode(CHECKPOINT_FILES.model);
  let optimizer = new Map<string, tf.Tensor>();
  try {
    optimizer = decode(CHECKPOINT_FILES.optimizer);
    const callbacks = decode(CHECKPOINT_FILES.callbacks);
    return { dir, manifest, model, optimizer, callbacks, warnings };
  } catch (e) {
    tf.dispose([...model.values(), ...optimizer.values()]);
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
 * run folder, or `last` / `best` with `options.runDir`. Its files are verified against the SHA-256 sums of
 * its manifest first: a damaged checkpoint is refused naming the file ({@link CheckpointIntegrityError}),
 * except that `last` (or a run folder) falls back to the newest intact checkpoint before it and says so in
 * `warnings`; a checkpoint written before sums were recorded loads with a warning.
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
  const { dir, manifest, model, optimizer, callbacks: cbTensors, warnings: readWarnings } = readCheckpoint(ref, options.runDir);
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
    const warnings: string[] = [...readWarnings];
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
      for (const [i, o] of optimizers.entries()) {
        try {
          await o.loadStateDict(optStates[i]!);
          o.lr = manifest.optimizers[i]!.lr;
          o.stepCount = manifest.optimizers[i]!.stepCount;
        } catch (e) {
          if (!partial) throw new Error(`Checkpoint ${dir}: optimiser ${i}: ${(e as Error).message}`);
          skipped.push(`optimiser ${i}: ${(e as Error).message}`);
        }
      }
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
    await cbList.load(manifest.callbacks, cbTensors, true);
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

/** The run folder whose `last` pointer `ref` stands for (`last` itself, a run folder, its checkpoints folder), if any. */
function lastPointerRunDir(ref: string, runDir: string | undefined): string | undefined {
  if (ref === 'last') return runDir;
  if (ref === 'best' || !fs.existsSync(ref) || fs.existsSync(path.join(ref, CHECKPOINT_FILES.state))) return undefined;
  if (fs.existsSync(path.join(ref, 'last'))) return path.dirname(path.resolve(ref));
  if (fs.existsSync(path.join(checkpointsDir(ref), 'last'))) return ref;
  return undefined;
}

/**
 * Resolve `ref` as {@link resolveCheckpoint} does and verify the checkpoint's files against its SHA-256 sums.
 * When `ref` means the run's latest checkpoint (`last`, a run folder or its `checkpoints/` folder) and that
 * one is damaged or incomplete, the newest older `step-*` checkpoint that verifies is returned instead, with
 * a warning naming the damaged file and the checkpoint used. A damaged checkpoint named directly (a folder,
 * `best`) is refused with a {@link CheckpointIntegrityError}; so is a run with no intact checkpoint left.
 */
export function resolveIntactCheckpoint(ref: string, runDir?: string): { dir: string; warnings: string[] } {
  const run = lastPointerRunDir(ref, runDir);
  if (run === undefined) {
    const dir = resolveCheckpoint(ref, runDir);
    return { dir, warnings: verifyCheckpoint(dir) };
  }
  const pointer = readPointer(run, 'last');
  if (!pointer) return { dir: resolveCheckpoint(ref, runDir), warnings: [] }; // resolveCheckpoint explains
  const cdir = checkpointsDir(run);
  const older = fs
    .readdirSync(cdir)
    .map((name) => ({ name, m: /^step-(\d+)$/.exec(name) }))
    .filter((e) => e.m !== null && Number(e.m[1]) < pointer.step)
    .sort((a, b) => Number(b.m![1]) - Number(a.m![1]))
    .map((e) => e.name);
  const problems: string[] = [];
  for (const name of [pointer.name, ...older]) {
    const dir = path.join(cdir, name);
    recoverMovedAside(dir);
    try {
      if (!fs.existsSync(path.join(dir, CHECKPOINT_FILES.state))) throw new CheckpointIntegrityError(dir, CHECKPOINT_FILES.state, 'is missing (an incomplete checkpoint)');
      const warnings = verifyCheckpoint(dir);
      if (problems.length > 0) {
        warnings.unshift(`${problems.join('; ')}. Resuming from the previous intact checkpoint, ${dir}.`);
      }
      return { dir, warnings };
    } catch (e) {
      if (!(e instanceof CheckpointIntegrityError)) throw e;
      problems.push(e.message.replace(/; refusing to load it$/, ''));
    }
  }
  throw new Error(`resume: no intact checkpoint in ${cdir}: ${problems.join('; ')}`);
}
