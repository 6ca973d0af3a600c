import * as fs from 'node:fs';
import * as path from 'node:path';
import type { MetricsRecord } from '@lel/core';
import { readMetrics, readSummary, RUN_FILES } from '../run-dir';
import type { RunSummary } from '../recipes/types';
import { headroom, meanStd, pairedComparison } from './stats';
import { sourceArm } from './grid';
import { readRunRecord, runVersionLabel, type EffectsRunRecord } from './provenance';
import type { ArmStats, CodeVersionRuns, EffectSetting, SettingResult } from './types';

/** A finished run as the report reads it. */
export interface LoadedRun {
  dir: string;
  summary: RunSummary;
  records: MetricsRecord[];
  /** The run's effects-run.json (null or absent when it has none). */
  record?: EffectsRunRecord | null;
}

/** Reads a run folder (summary + metrics.jsonl); null when the run has not finished (no summary yet). */
export type RunReader = (dir: string) => LoadedRun | null;

/** The default {@link RunReader}: the run folder's summary.json and metrics.jsonl. */
export function readRun(dir: string): LoadedRun | null {
  if (!fs.existsSync(path.join(dir, RUN_FILES.summary))) return null;
  return { dir, summary: readSummary(dir), records: readMetrics(dir), record: readRunRecord(dir) };
}

/**
 * The code versions behind a setting's trained arms (not those that read another arm's runs: counted there), each
 * with the arms and seeds whose runs it trained, from the arms' own per-run `versions` and `runs`.
 */
export function codeVersions(trained: readonly ArmStats[]): CodeVersionRuns[] {
  const groups = new Map<string, { arms: Map<string, number[]>; dirs: Set<string> }>();
  for (const a of trained) {
    (a.versions ?? []).forEach((version, i) => {
      const g = groups.get(version) ?? { arms: new Map<string, number[]>(), dirs: new Set<string>() };
      groups.set(version, g);
      g.arms.set(a.id, [...(g.arms.get(a.id) ?? []), a.seeds[i]!]);
      g.dirs.add(a.runs[i]!);
    });
  }
  return [...groups].map(([version, g]) => ({ version, arms: [...g.arms].map(([id, seeds]) => ({ id, seeds })), runs: g.dirs.size }));
}

/**
 * The statistics of one setting from its finished runs: every arm's mean over the seeds, each comparison's paired
 * difference with its 95% t-interval, and the headroom rule (ceiling vs baseline, from chance). Seeds whose run has
 * not finished are left out of that arm (a partial grid still gives a table; comparisons pair the seeds both arms have).
 */
export function collectSetting(setting: EffectSetting, keys: Map<string, string>, seeds: readonly number[], out: string, read: RunReader = readRun): { result: SettingResult; runs: Map<string, LoadedRun[]> } {
  const runs = new Map<string, LoadedRun[]>();
  const arms: ArmStats[] = setting.arms.map((arm) => {
    const src = sourceArm(setting, arm);
    const key = keys.get(src.id)!;
    const metric = arm.metric ?? setting.metric;
    const found = seeds.map((s) => [s, read(path.join(out, key, `seed${s}`))] as const).filter((e): e is readonly [number, LoadedRun] => e[1] !== null);
    const loaded = found.map((e) => e[1]);
    if (!arm.from) runs.set(arm.id, loaded);
    const values = loaded.map((r) => {
      const v = r.summary.metrics[metric];
      if (typeof v !== 'number') throw new Error(`effects: ${r.dir}/summary.json has no metric "${metric}" (setting ${setting.id}, arm ${arm.id}); it has ${Object.keys(r.summary.metrics).join(', ')}`);
      return v;
    });
    const { mean, std } = meanStd(values);
    const provenance = loaded.map((r) => (r.record?.provenance ? { provenance: r.record.provenance, ...(r.record.earlier ? { earlier: r.record.earlier } : {}) } : null));
    return { id: arm.id, label: arm.label, role: arm.role, seeds: found.map((e) => e[0]), values, mean, std, runs: loaded.map((r) => r.dir), versions: loaded.map((r) => runVersionLabel(r.record)), provenance };
  });
  const byId = new Map(arms.map((a) => [a.id, a]));
  const comparisons = setting.comparisons.map((c) => {
    const m = byId.get(c.method);
    const b = byId.get(c.baseline);
    if (!m || !b) throw new Error(`effects: setting ${setting.id}: comparison ${c.method} vs ${c.baseline} names an unknown arm`);
    return pairedComparison(m, b, c.paper);
  });
  const chance = typeof setting.chance === 'number' ? setting.chance : byId.get(setting.chance)?.mean;
  if (chance === undefined) throw new Error(`effects: setting ${setting.id}: chance "${String(setting.chance)}" names no arm`);
  const base = arms.find((a) => a.role === 'baseline');
  const ceil = arms.find((a) => a.role === 'ceiling');
  const extra: Record<string, Record<string, number>> = {};
  const seconds: Record<string, number> = {};
  for (const [id, loaded] of runs) {
    const keysOf = new Set(loaded.flatMap((r) => Object.keys(r.summary.metrics)));
    extra[id] = Object.fromEntries([...keysOf].map((k) => [k, meanStd(loaded.map((r) => r.summary.metrics[k]).filter((v): v is number => typeof v === 'number')).mean]));
    seconds[id] = meanStd(loaded.map((r) => r.summary.wallSeconds)).mean;
  }
  return {
    result: {
      id: setting.id,
      method: setting.method,
      package: setting.package,
      title: setting.title,
      task: setting.task,
      metric: setting.metric,
      metricLabel: setting.metricLabel,
      ...(setting.notes ? { notes: setting.notes } : {}),
      seeds: [...seeds],
      arms,
      comparisons,
      // No headroom verdict (and so no claim) until the baseline, the ceiling and the chance level have runs.
      headroom: base && ceil && base.seeds.length > 0 && ceil.seeds.length > 0 && Number.isFinite(chance) ? headroom(chance, base.mean, ceil.mean) : null,
      extra,
      seconds,
      codeVersions: codeVersions(arms.filter((a) => runs.has(a.id))),
    },
    runs,
  };
}
