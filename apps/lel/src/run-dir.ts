import * as fs from 'node:fs';
import * as path from 'node:path';
import { type MetricsRecord } from '@lel/core';
import { readJsonl, readTensorBoardScalars, writeFileAtomicSync } from '@lel/core/node';
import type { RunSummary } from './recipes/types';

/** File names inside a run folder. */
export const RUN_FILES = {
  config: 'config.resolved.yaml',
  metrics: 'metrics.jsonl',
  checkpoints: 'checkpoints',
  best: 'best',
  summary: 'summary.json',
  report: 'report.html',
  tensorboard: 'tensorboard',
} as const;

/** A fresh default run folder name: `runs/<recipe>-<YYYYMMDD-HHMMSS>`. */
export function defaultRunDir(recipe: string, now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}-${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return path.join('runs', `${recipe}-${stamp}`);
}

/** Whether a folder already holds checkpoints (a fresh run there would clash with them). */
export function hasCheckpoints(runDir: string): boolean {
  return fs.existsSync(path.join(runDir, RUN_FILES.checkpoints, 'last'));
}

/** Write `summary.json` (atomic). */
export function writeSummary(runDir: string, summary: RunSummary): void {
  writeFileAtomicSync(path.join(runDir, RUN_FILES.summary), JSON.stringify(summary, null, 2) + '\n');
}

/** Read `summary.json`; a run without one did not finish. */
export function readSummary(runDir: string): RunSummary {
  const file = path.join(runDir, RUN_FILES.summary);
  if (!fs.existsSync(file)) throw new Error(`${runDir} has no ${RUN_FILES.summary}: the run has not finished (resume it with --resume last)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as RunSummary;
}

/** metrics.jsonl records (empty when absent). */
export function readMetrics(runDir: string): MetricsRecord[] {
  const file = path.join(runDir, RUN_FILES.metrics);
  return fs.existsSync(file) ? readJsonl(file) : [];
}

/**
 * Records of `<run>/tensorboard` (written by `--logger tensorboard`), as metrics.jsonl would hold them:
 * `train/<name>` → `train` records, `val/<name>` → `eval` records, one per step. Empty when there is none.
 */
export function readTensorBoardMetrics(runDir: string): MetricsRecord[] {
  const dir = path.join(runDir, RUN_FILES.tensorboard);
  if (!fs.existsSync(dir)) return [];
  const byKey = new Map<string, MetricsRecord>();
  for (const [tag, points] of readTensorBoardScalars(dir)) {
    const slash = tag.indexOf('/');
    const group = slash < 0 ? 'train' : tag.slice(0, slash);
    const type = group === 'val' || group === 'eval' ? 'eval' : 'train';
    const name = slash < 0 ? tag : tag.slice(slash + 1);
    for (const p of points) {
      const key = `${type}:${p.step}`;
      const r = byKey.get(key) ?? { type, step: p.step, epoch: 0, time: new Date(p.wallTime * 1000).toISOString() };
      r[name] = p.value;
      byKey.set(key, r);
    }
  }
  return [...byKey.values()].sort((a, b) => a.step - b.step || (a.type === b.type ? 0 : a.type === 'train' ? -1 : 1));
}

/** A run's metric records: metrics.jsonl, or the TensorBoard event files when the JSONL log is missing or empty. */
export function readRunRecords(runDir: string): MetricsRecord[] {
  const jsonl = readMetrics(runDir);
  return jsonl.length > 0 ? jsonl : readTensorBoardMetrics(runDir);
}

/** What a finished run folder must contain (used by tests and `lel eval` to explain a broken run). */
export function missingRunFiles(runDir: string): string[] {
  const need = [RUN_FILES.config, RUN_FILES.metrics, RUN_FILES.checkpoints, path.join(RUN_FILES.best, 'model.safetensors'), RUN_FILES.summary, RUN_FILES.report];
  return need.filter((f) => !fs.existsSync(path.join(runDir, f)));
}
