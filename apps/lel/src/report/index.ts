import * as fs from 'node:fs';
import * as path from 'node:path';
import { type MetricsRecord } from '@lel/core';
import { writeFileAtomicSync } from '@lel/core/node';
import type { RunSummary } from '../recipes/types';
import { readResolvedConfig } from '../config/load';
import { readRunRecords, readSummary, RUN_FILES } from '../run-dir';
import { barChart, esc, fmt, heatmap, lineChart, PALETTE, type Series } from './svg';

/** A PNG file as a `data:` URL, so the report needs no side files. */
export function pngDataUrl(file: string): string {
  return `data:image/png;base64,${fs.readFileSync(file).toString('base64')}`;
}

/** Keys of a metrics record that are bookkeeping, not curves. */
const NOT_CURVES = new Set(['type', 'step', 'epoch', 'time', 'lr', 'steps_per_sec', 'error', 'parts']);

/** Curves (name → [step, value]) of one record type. */
export function curves(records: MetricsRecord[], type: 'train' | 'eval'): Map<string, [number, number][]> {
  const out = new Map<string, [number, number][]>();
  for (const r of records) {
    if (r.type !== type) continue;
    for (const [k, v] of Object.entries(r)) {
      if (NOT_CURVES.has(k) || typeof v !== 'number') continue;
      if (!out.has(k)) out.set(k, []);
      out.get(k)!.push([r.step as number, v]);
    }
  }
  return out;
}

/** The headline metric of a task (the one tables and bars compare). */
export function headline(summary: Pick<RunSummary, 'metrics'>): string {
  const order = ['clustering_accuracy', 'fewshot_accuracy', 'miou', 'accuracy', 'bag_accuracy', 'f1'];
  return order.find((k) => summary.metrics[k] !== undefined) ?? Object.keys(summary.metrics)[0] ?? '';
}

interface LoadedRun {
  dir: string;
  name: string;
  /** Null while the run is still training (no summary.json yet). */
  summary: RunSummary | null;
  records: MetricsRecord[];
}

function loadRun(dir: string): LoadedRun {
  const finished = fs.existsSync(path.join(dir, RUN_FILES.summary));
  const records = readRunRecords(dir);
  if (!finished && records.length === 0) {
    throw new Error(`${dir} has neither ${RUN_FILES.summary} nor metrics (metrics.jsonl or ${RUN_FILES.tensorboard}/): is it a run folder?`);
  }
  return { dir, name: path.basename(path.resolve(dir)), summary: finished ? readSummary(dir) : null, records };
}

/** Training and validation curves of a run (finished or not). */
function curveCharts(records: MetricsRecord[]): string[] {
  const charts: string[] = [];
  const train = curves(records, 'train');
  const lossSeries: Series[] = [...train].filter(([k]) => k !== 'weightU').map(([name, points]) => ({ name, points }));
  charts.push(lineChart({ title: 'Training losses', xLabel: 'step', yLabel: 'loss', series: lossSeries }));
  const lr = records.filter((r) => r.type === 'train' && typeof r.lr === 'number').map((r) => [r.step as number, r.lr as number] as [number, number]);
  if (lr.length > 1) charts.push(lineChart({ title: 'Learning rate', xLabel: 'step', yLabel: 'lr', series: [{ name: 'lr', points: lr }] }));
  const evals = curves(records, 'eval');
  if (evals.size > 0) charts.push(lineChart({ title: 'Validation metrics', xLabel: 'step', yLabel: 'metric', series: [...evals].map(([name, points]) => ({ name, points })) }));
  return charts;
}

/** The section of a run that is still training: its curves so far and where it stands. */
function inProgressSection(run: LoadedRun): string {
  let recipe = '';
  try {
    recipe = String(readResolvedConfig(run.dir)['recipe'] ?? '');
  } catch {
    // a folder with metrics but no resolved config (e.g. fit called from code): no recipe name
  }
  const last = run.records[run.records.length - 1];
  const lastEval = [...run.records].reverse().find((r) => r.type === 'eval');
  const evalLine = lastEval ? ` · last evaluation @ step ${lastEval.step}: ${Object.entries(lastEval).filter(([k, v]) => !NOT_CURVES.has(k) && typeof v === 'number').map(([k, v]) => `${esc(k)} ${fmt(v as number)}`).join(', ')}` : '';
  return [
    `<section class="run" id="run-${esc(run.name)}"><h2>${esc(run.name)} <small>${esc(recipe)} · in progress</small></h2>`,
    `<p class="facts">still training: ${last ? `${last.step} steps logged, last record ${esc(String(last.time ?? ''))}` : 'no record yet'}${evalLine} · final metrics appear when the run finishes (summary.json)</p>`,
    `<div class="charts">${curveCharts(run.records).filter(Boolean).join('')}</div>`,
    '</section>',
  ].join('\n');
}

function metricsTable(summary: RunSummary): string {
  const rows = Object.entries(summary.metrics)
    .map(([k, v]) => `<tr><th>${esc(k)}</th><td>${fmt(v)}</td></tr>`)
    .join('');
  return `<table class="metrics">${rows}</table>`;
}

function runSection(run: LoadedRun): string {
  const s = run.summary;
  if (!s) return inProgressSection(run);
  const parts: string[] = [];
  parts.push(`<section class="run" id="run-${esc(run.name)}"><h2>${esc(run.name)} <small>${esc(s.recipe)} · ${esc(s.package)} · ${esc(s.task)}</small></h2>`);
  parts.push(
    `<p class="facts">${s.steps} steps (${esc(s.stopReason)}) in ${s.wallSeconds.toFixed(1)} s · ${s.params.trainable.toLocaleString('en-US')} trainable of ${s.params.total.toLocaleString('en-US')} parameters (${((100 * s.params.trainable) / Math.max(1, s.params.total)).toFixed(2)}%) · kept weights: ${esc(s.bestFrom)}</p>`,
  );
  if (s.notes.length) parts.push(`<p class="notes">${s.notes.map(esc).join(' · ')}</p>`);
  parts.push(metricsTable(s));
  const charts = curveCharts(run.records);
  if (s.perClassIoU && s.classNames) {
    charts.push(barChart({ title: 'Per-class IoU', yLabel: 'IoU', yMax: 1, bars: s.perClassIoU.map((v, i) => ({ label: s.classNames![i] ?? String(i), value: v, colour: PALETTE[0] })) }));
  }
  if (s.fewShot) {
    const f = s.fewShot;
    charts.push(barChart({ title: `${f.ways}-way ${f.shots}-shot accuracy (95% CI, ${f.episodes} episodes)`, yLabel: 'accuracy', yMax: 1, bars: [{ label: s.recipe, value: f.mean, error: f.halfWidth }] }));
  }
  if (s.confusion && s.classNames) charts.push(heatmap({ title: 'Confusion matrix', matrix: s.confusion, labels: s.classNames }));
  parts.push(`<div class="charts">${charts.filter(Boolean).join('')}</div>`);
  if (s.samples && s.samples.length > 0) {
    const imgs = s.samples
      .filter((p) => fs.existsSync(path.join(run.dir, p)))
      .map((p) => `<figure><img class="sample" alt="${esc(p)}" src="${pngDataUrl(path.join(run.dir, p))}"/><figcaption>image · ground truth · prediction</figcaption></figure>`)
      .join('');
    parts.push(`<h3>Segmentation samples</h3><div class="samples">${imgs}</div>`);
  }
  parts.push('</section>');
  return parts.join('\n');
}

function comparison(all: LoadedRun[]): string {
  // Runs still training have no final metrics: they join the loss overlay only.
  const runs = all.filter((r): r is LoadedRun & { summary: RunSummary } => r.summary !== null);
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r.summary.metrics)))];
  const head = `<tr><th>run</th><th>recipe</th><th>trainable params</th>${keys.map((k) => `<th>${esc(k)}</th>`).join('')}</tr>`;
  const rows = runs
    .map((r) => `<tr><td><a href="#run-${esc(r.name)}">${esc(r.name)}</a></td><td>${esc(r.summary.recipe)}</td><td>${r.summary.params.trainable.toLocaleString('en-US')}</td>${keys.map((k) => `<td>${r.summary.metrics[k] === undefined ? '—' : fmt(r.summary.metrics[k]!)}</td>`).join('')}</tr>`)
    .join('');
  const charts: string[] = [];
  const byMetric = new Map<string, (LoadedRun & { summary: RunSummary })[]>();
  for (const r of runs) {
    const h = headline(r.summary);
    if (!byMetric.has(h)) byMetric.set(h, []);
    byMetric.get(h)!.push(r);
  }
  for (const [metric, group] of byMetric) {
    charts.push(
      barChart({
        title: `${metric} by run`,
        yLabel: metric,
        bars: group.map((r) => ({ label: r.name, value: r.summary.metrics[metric]!, ...(metric === 'fewshot_accuracy' && r.summary.fewShot ? { error: r.summary.fewShot.halfWidth } : {}) })),
      }),
    );
  }
  charts.push(barChart({ title: 'Trainable parameters (log scale)', yLabel: 'parameters', logY: true, bars: runs.map((r) => ({ label: r.name, value: r.summary.params.trainable })) }));
  const lossSeries: Series[] = all.map((r) => {
    const c = curves(r.records, 'train');
    return { name: r.name, points: c.get('total') ?? c.get('loss') ?? [] };
  });
  charts.push(lineChart({ title: 'Training loss by run', xLabel: 'step', yLabel: 'total loss', series: lossSeries }));
  return `<section class="comparison"><h2>Comparison</h2><table class="compare">${head}${rows}</table><div class="charts">${charts.filter(Boolean).join('')}</div></section>`;
}

/** The stylesheet of every LEL HTML report (runs, comparisons, sweeps). */
export const REPORT_CSS = `body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:24px auto;max-width:1200px;color:#222;padding:0 16px}
h1{font-size:22px}h2{font-size:18px;border-bottom:1px solid #ddd;padding-bottom:4px}h2 small{font-weight:normal;color:#666;font-size:13px}
table{border-collapse:collapse;margin:8px 0}th,td{border:1px solid #ddd;padding:3px 8px;font-size:13px;text-align:right}th{background:#f6f6f6;text-align:left}
.charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #eee}.facts,.notes{color:#444;font-size:13px}
.samples{display:flex;flex-wrap:wrap;gap:12px}figure{margin:0}img.sample{image-rendering:pixelated;width:300px;height:auto;border:1px solid #ccc}figcaption{font-size:11px;color:#666}`;

/**
 * Write one self-contained HTML report for one or more runs — finished, or still training (its curves so far from
 * metrics.jsonl, or from `<run>/tensorboard` event files when that is all it has): per run its losses and learning rate,
 * validation curves, metrics, per-class IoU, confusion matrix, few-shot accuracy with its CI and segmentation
 * samples; with several runs, a comparison table, headline-metric bars, trainable-parameter bars (log scale) and
 * overlaid loss curves. Charts are inline SVG and images data URLs: the file works offline, without scripts.
 */
export function writeRunReport(runDirs: string[], outFile: string, title?: string): string {
  if (runDirs.length === 0) throw new Error('report: give at least one run folder');
  const runs = runDirs.map(loadRun);
  const heading = title ?? (runs.length === 1 ? `LEL run ${runs[0]!.name}` : `LEL comparison of ${runs.length} runs`);
  const html = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(heading)}</title><style>${REPORT_CSS}</style></head>
<body><h1>${esc(heading)}</h1><p class="facts">Generated ${new Date().toISOString()} by lel report.</p>
${runs.length > 1 ? comparison(runs) : ''}
${runs.map(runSection).join('\n')}
</body></html>
`;
  fs.mkdirSync(path.dirname(path.resolve(outFile)), { recursive: true });
  writeFileAtomicSync(outFile, html);
  return outFile;
}
