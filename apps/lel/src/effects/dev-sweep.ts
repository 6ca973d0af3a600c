import * as fs from 'node:fs';
import * as path from 'node:path';
import { readMetrics, readSummary, RUN_FILES } from '../run-dir';
import { getRecipe } from '../recipes';
import { resolveTrainConfig } from '../train';
import { canonicalJson } from '../sweep/run-id';
import { planGrid, sameSets, type GridRun } from './grid';
import { readRunRecord, runVersionLabel } from './provenance';
import type { DevScoreKind, DevSweep, DevVariant, EffectSetting } from './types';

/** The training log a dev run keeps beside its metrics (the SWA averaged-weights score is only printed there). */
export const DEV_LOG = 'train.log';

/** One run of a dev sweep: a grid run (trained by `executeGrid`) plus what it stands for. */
export interface DevRun extends GridRun {
  setting: string;
  /** The arm trained. */
  arm: string;
  variant: DevVariant;
}

/** A dev run's folder: `<out>/dev/<setting>/<arm>-<label>/seed<seed>` (`/` in a setting id becomes `_`). */
export function devRunDir(out: string, setting: string, arm: string, label: string, seed: number): string {
  return path.join(out, 'dev', setting.replace(/[^A-Za-z0-9._-]+/g, '_'), `${arm}-${label}`, `seed${seed}`);
}

/** The planned run of one arm at the dev seed with extra overrides (the arm's exact grid config, then the extras). */
function devRun(setting: EffectSetting, sweep: DevSweep, variant: DevVariant, out: string): DevRun {
  const arm = variant.arm ?? sweep.arm;
  const { runs, keys } = planGrid([{ ...setting, dev: [] }], [sweep.seed], out, false);
  const key = keys.get(setting.id)!.get(arm);
  const base = runs.find((r) => r.key === key);
  if (!key || !base) throw new Error(`effects --dev: setting ${setting.id}, sweep of ${sweep.parameter}: arm "${arm}" is not a trained arm of the setting`);
  if (base.needs.length > 0) throw new Error(`effects --dev: setting ${setting.id}, arm ${arm} reads another arm's run ({run:…}); dev sweeps of such arms are not supported`);
  return { ...base, sets: [...base.sets, ...variant.sets], dir: devRunDir(out, setting.id, arm, variant.label, sweep.seed), needs: [], setting: setting.id, arm, variant };
}

/**
 * Every run of the settings' dev sweeps, deduplicated by folder (a reference run shared by two sweeps trains once).
 * Throws when a sweep's seed is one of the reported `seeds` (dev choices must never see the reported split).
 */
export function planDevRuns(settings: readonly EffectSetting[], out: string, reportedSeeds: readonly number[]): DevRun[] {
  const byDir = new Map<string, DevRun>();
  for (const setting of settings) {
    for (const sweep of setting.dev ?? []) {
      if (reportedSeeds.includes(sweep.seed)) throw new Error(`effects --dev: setting ${setting.id}, sweep of ${sweep.parameter}: dev seed ${sweep.seed} is a reported seed (${reportedSeeds.join(', ')})`);
      const labels = new Set<string>();
      for (const v of sweep.variants) {
        const id = `${v.arm ?? sweep.arm}-${v.label}`;
        if (labels.has(id)) throw new Error(`effects --dev: setting ${setting.id}, sweep of ${sweep.parameter}: variant ${id} appears twice`);
        labels.add(id);
        const run = devRun(setting, sweep, v, out);
        const same = byDir.get(run.dir);
        if (same && !sameSets(same.sets, run.sets)) {
          throw new Error(`effects --dev: ${run.dir} is planned with two different configs (setting ${setting.id})`);
        }
        if (!same) byDir.set(run.dir, run);
      }
    }
  }
  return [...byDir.values()];
}

/** The config a recipe and its overrides resolve to, as comparable text. */
function resolvedConfig(recipe: string, sets: readonly string[]): string {
  return canonicalJson(resolveTrainConfig(getRecipe(recipe), { sets }));
}

/**
 * Whether a run folder holds the planned run: `absent` (nothing trained yet), `match` (its effects-run.json overrides
 * amount to the planned ones, or its config.json, what it actually trained with, equals the planned resolved config:
 * e.g. a default written out or not), `differs` (another config: never reused, never scored).
 */
export function devRunState(run: GridRun): 'absent' | 'match' | 'differs' {
  const record = readRunRecord(run.dir);
  if (record && record.recipe === run.recipe && sameSets(record.sets, run.sets)) return 'match';
  const config = path.join(run.dir, 'config.json');
  if (!fs.existsSync(config)) return record ? 'differs' : 'absent';
  const recorded = canonicalJson(JSON.parse(fs.readFileSync(config, 'utf8')));
  return recorded === resolvedConfig(run.recipe, run.sets) ? 'match' : 'differs';
}

/** A dev score of a finished run (null when the run has not recorded it). */
export function devScore(dir: string, kind: DevScoreKind, metric: string): number | null {
  if (!fs.existsSync(path.join(dir, RUN_FILES.summary))) return null;
  if (kind === 'summary') {
    const v = readSummary(dir).metrics[metric];
    return typeof v === 'number' ? v : null;
  }
  if (kind === 'swa-averaged') {
    const log = path.join(dir, DEV_LOG);
    if (!fs.existsSync(log)) return null;
    const pattern = new RegExp(`^\\[swa\\] averaged weights .*\\b${metric.replace(/[^A-Za-z0-9_]/g, '')}=(-?[0-9.]+(?:e[-+]?[0-9]+)?)`);
    const hits = fs.readFileSync(log, 'utf8').split('\n').map((l) => pattern.exec(l)).filter((m): m is RegExpExecArray => m !== null);
    return hits.length > 0 ? Number(hits.at(-1)![1]) : null;
  }
  const evals = readMetrics(dir)
    .filter((r) => r.type === 'eval')
    .map((r) => (r as unknown as Record<string, unknown>)[metric])
    .filter((v): v is number => typeof v === 'number');
  if (evals.length === 0) return null;
  return kind === 'best-eval' ? Math.max(...evals) : evals.at(-1)!;
}

/** One row of a dev table. */
export interface DevRowResult {
  label: string;
  arm: string;
  /** The variant's extra overrides. */
  sets: string[];
  dir: string;
  /** `done` with a score; `not run` (no finished run); `config differs` (the folder holds another config); `no score` (finished, score not recorded). */
  status: 'done' | 'not run' | 'config differs' | 'no score';
  score: number | null;
  /** This variant's config is the swept arm's config in the setting (the value the effect table uses). */
  settingValue: boolean;
  /** The code version(s) that trained the run ("not recorded" for runs trained outside `lel effects`); null when not run. */
  version: string | null;
}

/** A dev sweep as the report shows it. */
export interface DevSweepResult {
  setting: string;
  parameter: string;
  arm: string;
  seed: number;
  scoreLabel: string;
  rows: DevRowResult[];
  /** Label of the swept arm's best-scoring variant (null while any of them has no score). */
  winner: string | null;
  /** Label of the variant that is the setting's value (null when none of the variants is). */
  settingValue: string | null;
  /** `agrees`: the setting uses the dev winner; `MISMATCH`: it does not; `incomplete`: a variant of the arm has no score; `not swept`: the setting's value is none of the variants. */
  verdict: 'agrees' | 'MISMATCH' | 'incomplete' | 'not swept';
}

/** The dev tables of the settings from their dev runs' folders (nothing is trained here). */
export function collectDev(settings: readonly EffectSetting[], out: string, reportedSeeds: readonly number[]): DevSweepResult[] {
  const planned = new Map(planDevRuns(settings, out, reportedSeeds).map((r) => [r.dir, r]));
  const results: DevSweepResult[] = [];
  for (const setting of settings) {
    for (const sweep of setting.dev ?? []) {
      const armRun = devRun(setting, sweep, { label: 'setting', sets: [] }, out);
      const armConfig = resolvedConfig(armRun.recipe, armRun.sets);
      const rows = sweep.variants.map((v): DevRowResult => {
        const arm = v.arm ?? sweep.arm;
        const run = planned.get(devRunDir(out, setting.id, arm, v.label, sweep.seed))!;
        const state = devRunState(run);
        const score = state === 'match' ? devScore(run.dir, v.score ?? sweep.score, sweep.metric ?? setting.metric) : null;
        const status = state === 'differs' ? 'config differs' : score !== null ? 'done' : fs.existsSync(path.join(run.dir, RUN_FILES.summary)) ? 'no score' : 'not run';
        const version = status === 'done' || status === 'no score' ? runVersionLabel(readRunRecord(run.dir)) : null;
        return { label: v.label, arm, sets: v.sets, dir: run.dir, status, score, settingValue: arm === sweep.arm && resolvedConfig(run.recipe, run.sets) === armConfig, version };
      });
      const competing = rows.filter((r) => r.arm === sweep.arm);
      const complete = competing.length > 0 && competing.every((r) => r.score !== null);
      const winner = complete ? competing.reduce((a, b) => (b.score! > a.score! ? b : a)).label : null;
      const settingValue = competing.find((r) => r.settingValue)?.label ?? null;
      const verdict = settingValue === null ? 'not swept' : winner === null ? 'incomplete' : winner === settingValue ? 'agrees' : 'MISMATCH';
      results.push({ setting: setting.id, parameter: sweep.parameter, arm: sweep.arm, seed: sweep.seed, scoreLabel: sweep.scoreLabel, rows, winner, settingValue, verdict });
    }
  }
  return results;
}
