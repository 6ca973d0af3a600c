import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { writeFileAtomicSync } from '@lel/core/node';
import { collectSetting, readRun, type LoadedRun, type RunReader } from './collect';
import { devMarkdown } from './dev-report';
import { collectDev, DEV_LOG, devRunState, planDevRuns, type DevSweepResult } from './dev-sweep';
import { executeGrid, type TrainFn } from './execute';
import { planGrid } from './grid';
import type { TrainOptions } from '../train';
import { trainCommand } from '../train';
import { effectsHtml, effectsMarkdown, type EffectsFacts } from './report';
import { repoRoot } from './repo-root';
import { EFFECT_SETTINGS } from './settings';
import { textSettings } from './text/text-tables';
import type { EffectSetting, SettingResult } from './types';

/** Hand-written status beside the generated tables (what ran, what did not and why), shown under the introduction. */
export const NOTES_FILE = 'effects-notes.md';

/** Options of {@link effectsCommand} (the `lel effects` flags). */
export interface EffectsOptions {
  /** Seeds (default 0–4; 0–1 with `quick`). */
  seeds?: number[];
  /** Method groups or setting ids to include (default all), e.g. ['cct', 'kd-1/16']. */
  methods?: string[];
  /** Smoke-test budgets (every setting's `quick` overrides); results go to the run folder, never to docs/. */
  quick?: boolean;
  /** Folder of the vision runs (default `<repo>/runs/effects`, `<repo>/runs/effects-quick` with `quick`). */
  out?: string;
  /** Where effects.md, effects.html and effects.json go (default `<repo>/docs`, the run folder with `quick`). */
  docs?: string;
  /** Result stores of the text runs (default `<repo>/docs/text-effects-runs`, written by `src/effects/text/run-grid.ts`). */
  textRuns?: string;
  backend?: string;
  /** Only (re)write the tables from finished runs; train nothing. */
  reportOnly?: boolean;
  /**
   * The dev sweeps instead of the effect tables: train the selected settings' declared dev runs (under `<out>/dev`,
   * unless `reportOnly`) and write effects-dev.md / effects-dev.json (variant → dev score, and whether each setting
   * uses its dev winner).
   */
  dev?: boolean;
  log?: (l: string) => void;
  /** The vision settings (default {@link EFFECT_SETTINGS}). */
  settings?: readonly EffectSetting[];
  /** Injected for tests. */
  train?: TrainFn;
  read?: RunReader;
  /** The command line shown in the report. */
  command?: string;
}

/** The run folder as the report names it: relative to the repository when inside it, else the absolute path. */
function runsLabel(root: string, out: string): string {
  const rel = path.relative(root, path.resolve(out));
  return rel === '' ? '.' : rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(out) : rel;
}

/** The names `--methods` accepts: the method groups and setting ids of the vision settings and of the text results. */
function knownNames(settings: readonly { id: string; method: string }[]): string[] {
  return [...new Set(settings.flatMap((s) => [s.method, s.id]))];
}

/**
 * The settings `--methods` selects: a method group (`cct`) selects all its settings, a setting id (`cct-1/16`) that
 * one; an unknown name is an error listing the known ones (`also` adds names known elsewhere, e.g. the text tables').
 */
export function selectSettings<S extends { id: string; method: string }>(settings: readonly S[], methods: readonly string[] | undefined, also: readonly string[] = []): S[] {
  if (!methods || methods.length === 0) return [...settings];
  const known = [...new Set([...knownNames(settings), ...also])];
  const bad = methods.filter((m) => !known.includes(m));
  if (bad.length > 0) throw new Error(`--methods: unknown ${bad.map((m) => `"${m}"`).join(', ')}; known: ${known.join(', ')}`);
  return settings.filter((s) => methods.includes(s.method) || methods.includes(s.id));
}

/** The text settings of the committed result stores (an absent folder gives none). */
export function textResults(dir: string): SettingResult[] {
  if (!fs.existsSync(dir)) return [];
  return textSettings(dir);
}

/**
 * `lel effects` (`pnpm effects`): train every arm × seed of the selected vision settings through the app's recipes
 * (finished runs reused, interrupted ones resumed), read the text settings from their committed result stores, then
 * write effects.md (tables), effects.html (tables, mean curves, sample predictions) and effects.json (every value,
 * per seed).
 */
export async function effectsCommand(options: EffectsOptions = {}): Promise<{ results: SettingResult[]; markdown: string; files: string[]; dev?: DevSweepResult[] }> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const quick = options.quick ?? false;
  const seeds = options.seeds ?? (quick ? [0, 1] : [0, 1, 2, 3, 4]);
  if (seeds.length === 0 || seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`--seeds: give non-negative integers, got ${seeds.join(',')}`);
  if (new Set(seeds).size !== seeds.length) throw new Error(`--seeds: ${seeds.join(',')} repeats a seed`);
  const root = repoRoot();
  const text = textResults(options.textRuns ?? path.join(root, 'docs', 'text-effects-runs'));
  const settings = selectSettings(options.settings ?? EFFECT_SETTINGS, options.methods, knownNames(text));
  const textSelected = selectSettings(text, options.methods, knownNames(options.settings ?? EFFECT_SETTINGS));
  const out = options.out ?? path.join(root, 'runs', quick ? 'effects-quick' : 'effects');
  const docs = options.docs ?? (quick ? out : path.join(root, 'docs'));
  if (options.dev) return effectsDevCommand(settings, seeds, out, docs, root, log, options);
  const { runs, keys } = planGrid(settings, seeds, out, quick);
  const started = Date.now();
  if (!options.reportOnly) await executeGrid(runs, { ...(options.backend ? { backend: options.backend } : {}), log, ...(options.train ? { train: options.train } : {}) });
  const read = options.read ?? readRun;
  const results: SettingResult[] = [];
  const loaded = new Map<string, Map<string, LoadedRun[]>>();
  for (const s of settings) {
    const { result, runs: r } = collectSetting(s, keys.get(s.id)!, seeds, out, read);
    results.push(result);
    loaded.set(s.id, r);
  }
  const facts: EffectsFacts = {
    date: new Date().toISOString().slice(0, 10),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model.trim() ?? 'CPU'}, Node ${process.versions.node}`,
    backend: options.backend ?? process.env.LEL_BACKEND ?? 'default',
    seeds,
    command: options.command ?? `lel effects --seeds ${seeds.join(',')}${options.methods?.length ? ` --methods ${options.methods.join(',')}` : ''}${quick ? ' --quick' : ''}${options.reportOnly ? ' --report-only' : ''}`,
    quick,
    trainedSeconds: options.reportOnly ? 0 : (Date.now() - started) / 1000,
    runs: runsLabel(root, out),
    ...(fs.existsSync(path.join(docs, NOTES_FILE)) ? { notes: fs.readFileSync(path.join(docs, NOTES_FILE), 'utf8') } : {}),
  };
  const markdown = effectsMarkdown(results, textSelected, facts);
  fs.mkdirSync(docs, { recursive: true });
  const files = [path.join(docs, 'effects.md'), path.join(docs, 'effects.html'), path.join(docs, 'effects.json')];
  writeFileAtomicSync(files[0]!, markdown);
  writeFileAtomicSync(files[1]!, effectsHtml(results, textSelected, loaded, facts));
  writeFileAtomicSync(
    files[2]!,
    JSON.stringify({ facts, settings: settings.map((s) => ({ ...s, keys: Object.fromEntries(keys.get(s.id)!) })), results, text: textSelected }, null, 2) + '\n',
  );
  log(`[effects] wrote ${files.join(', ')}`);
  return { results: [...results, ...textSelected], markdown, files };
}

/**
 * `lel effects --dev`: the dev sweeps the selected settings declare (runs resumable through {@link executeGrid}, with
 * provenance; each keeps its training log as train.log, where SWA prints its averaged weights' dev score), then
 * effects-dev.md / effects-dev.json. A folder that already holds another config stops the command before anything trains.
 */
async function effectsDevCommand(
  settings: readonly EffectSetting[],
  seeds: readonly number[],
  out: string,
  docs: string,
  root: string,
  log: (l: string) => void,
  options: EffectsOptions,
): Promise<{ results: SettingResult[]; markdown: string; files: string[]; dev: DevSweepResult[] }> {
  if (options.quick) throw new Error('--dev: dev sweeps have no --quick budgets (they are the real runs that chose the hyper-parameters)');
  const runs = planDevRuns(settings, out, seeds);
  if (runs.length === 0) throw new Error(`--dev: none of the selected settings (${settings.map((s) => s.id).join(', ')}) declares a dev sweep`);
  if (!options.reportOnly) {
    const clash = runs.filter((r) => devRunState(r) === 'differs');
    if (clash.length > 0) throw new Error(`--dev: ${clash.map((r) => r.dir).join(', ')} already hold${clash.length === 1 ? 's' : ''} another config; move ${clash.length === 1 ? 'it' : 'them'} away first`);
    const train = options.train ?? trainCommand;
    // Keep each run's log (appended across resumed attempts): SWA's averaged-weights dev score is only printed.
    const logged = async (recipe: string, o: TrainOptions) => {
      const lines: string[] = [];
      try {
        return await train(recipe, { ...o, log: (l: string) => (lines.push(l), o.log?.(l)) });
      } finally {
        if (o.out) fs.appendFileSync(path.join(o.out, DEV_LOG), lines.map((l) => l + '\n').join(''));
      }
    };
    await executeGrid(runs, { ...(options.backend ? { backend: options.backend } : {}), log, train: logged });
  }
  const dev = collectDev(settings, out, seeds);
  const command = options.command ?? `lel effects --dev${options.methods?.length ? ` --methods ${options.methods.join(',')}` : ''}${options.reportOnly ? ' --report-only' : ''}`;
  const markdown = devMarkdown(dev, { date: new Date().toISOString().slice(0, 10), command, runs: runsLabel(root, out) });
  fs.mkdirSync(docs, { recursive: true });
  const files = [path.join(docs, 'effects-dev.md'), path.join(docs, 'effects-dev.json')];
  writeFileAtomicSync(files[0]!, markdown);
  writeFileAtomicSync(files[1]!, JSON.stringify({ command, sweeps: dev }, null, 2) + '\n');
  log(`[effects] wrote ${files.join(', ')}`);
  for (const r of dev.filter((d) => d.verdict === 'MISMATCH')) log(`[effects] MISMATCH: ${r.setting} uses ${r.parameter} = ${r.settingValue}, the dev winner is ${r.winner}`);
  return { results: [], markdown, files, dev };
}
