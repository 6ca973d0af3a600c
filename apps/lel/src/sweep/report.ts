import * as fs from 'node:fs';
import * as path from 'node:path';
import { meanConfidenceInterval } from '@lel/core';
import { writeFileAtomicSync } from '@lel/core/node';
import { readResolvedConfig } from '../config/load';
import { headline, REPORT_CSS } from '../report';
import { barChart, esc, fmt } from '../report/svg';
import { RUN_FILES, readSummary } from '../run-dir';
import { canonicalJson, runId } from './run-id';
import { pointLabel, readManifest, type GridPoint, type SweepManifest } from './manifest';
import { runStatus, type RunStatus } from './run-record';

/** One cell of a grid with its run's outcome: the unit the report aggregates. */
export interface CellResult {
  arm: string;
  point: GridPoint;
  seed: number;
  id: string;
  runDir: string;
  status: RunStatus;
  /** Final metrics (summary.json: the evaluation of the kept weights at the end of training). */
  metrics?: Record<string, number>;
  steps?: number;
  wallSeconds?: number;
  /** Steps logged so far (unfinished runs). */
  step?: number;
  error?: string;
}

/** Mean and Student-t interval of one metric over seeds. */
export interface MetricStats {
  n: number;
  mean: number;
  /** Sample standard deviation; absent for n = 1. */
  std?: number;
  /** Half width of the confidence interval; absent for n = 1. */
  halfWidth?: number;
  values: number[];
  seeds: number[];
}

/** One arm at one grid point. */
export interface ArmRow {
  point: GridPoint;
  arm: string;
  /** Finished runs / cells of this arm here. */
  finished: number;
  cells: number;
  metrics: Record<string, MetricStats>;
}

/** A paired comparison `arm − baseline` of one metric at one grid point, over the seeds both finished. */
export interface PairedRow {
  point: GridPoint;
  arm: string;
  baseline: string;
  metric: string;
  /** Seeds with both runs finished (the pairs). */
  seeds: number[];
  armMean: number;
  baselineMean: number;
  /** Mean paired difference `arm − baseline` with its t-interval (absent below 2 pairs). */
  diff: { mean: number; halfWidth?: number; lo?: number; hi?: number; std?: number };
}

/** A sweep's gathered results. */
export interface SweepReport {
  title: string;
  confidence: number;
  axes: string[];
  arms: string[];
  /** Metrics tabulated, the headline first. */
  metrics: string[];
  headline: string;
  rows: ArmRow[];
  paired: PairedRow[];
  /** Cells without a finished run (with why). */
  unfinished: CellResult[];
  cells: CellResult[];
}

/** Options of {@link buildSweepReport}. */
export interface ReportOptions {
  title?: string;
  /** Arm order (default: order of appearance). */
  arms?: string[];
  /** Axis keys (default: the keys of the cells' points). */
  axes?: string[];
  /** Every other arm is compared with it (default: the first arm). */
  baseline?: string;
  /** Explicit `[arm, baseline]` comparisons. */
  compare?: [string, string][];
  metrics?: string[];
  /** Default 0.95. */
  confidence?: number;
}

function stats(values: number[], seeds: number[], confidence: number): MetricStats {
  const n = values.length;
  const mean = values.reduce((a, b) => a + b, 0) / Math.max(1, n);
  if (n < 2) return { n, mean, values, seeds };
  const ci = meanConfidenceInterval(values, confidence);
  return { n, mean, std: ci.std, halfWidth: ci.halfWidth, values, seeds };
}

/**
 * Gather cells into the report's tables: per grid point and arm, each metric's mean and t-interval over seeds; per
 * point and comparison (every arm vs the baseline, or the explicit pairs), each metric's mean paired difference
 * over the seeds both arms finished (paired by seed: same data split and initialisation), with its t-interval —
 * the "method vs baseline vs ceiling" rows of an effect table. Non-finite metric values are left out (and the
 * run's cell says so).
 */
export function buildSweepReport(cells: CellResult[], options: ReportOptions = {}): SweepReport {
  const confidence = options.confidence ?? 0.95;
  const arms = options.arms ?? [...new Set(cells.map((c) => c.arm))];
  const axes = options.axes ?? [...new Set(cells.flatMap((c) => Object.keys(c.point)))];
  const finished = cells.filter((c) => c.status === 'done' && c.metrics);
  const first = finished[0];
  const allMetrics = [...new Set(finished.flatMap((c) => Object.keys(c.metrics!)))];
  const main = options.metrics?.[0] ?? (first ? headline({ metrics: Object.fromEntries(allMetrics.map((k) => [k, 0])) }) : '');
  const metrics = options.metrics ?? (main ? [main, ...allMetrics.filter((k) => k !== main)] : allMetrics);
  const points = new Map<string, GridPoint>();
  for (const c of cells) points.set(canonicalJson(c.point), c.point);
  const at = (point: GridPoint, arm: string) => finished.filter((c) => c.arm === arm && canonicalJson(c.point) === canonicalJson(point));
  const rows: ArmRow[] = [];
  const paired: PairedRow[] = [];
  const baseline = options.baseline ?? arms[0];
  const comparisons = options.compare ?? (baseline ? arms.filter((a) => a !== baseline).map((a) => [a, baseline] as [string, string]) : []);
  for (const point of points.values()) {
    for (const arm of arms) {
      const here = at(point, arm);
      const total = cells.filter((c) => c.arm === arm && canonicalJson(c.point) === canonicalJson(point)).length;
      if (total === 0) continue;
      const m: Record<string, MetricStats> = {};
      for (const k of metrics) {
        const ok = here.filter((c) => Number.isFinite(c.metrics![k]));
        m[k] = stats(ok.map((c) => c.metrics![k]!), ok.map((c) => c.seed), confidence);
      }
      rows.push({ point, arm, finished: here.length, cells: total, metrics: m });
    }
    for (const [arm, base] of comparisons) {
      const a = at(point, arm);
      const b = at(point, base);
      if (a.length === 0 && b.length === 0) continue;
      for (const k of metrics) {
        const pairs: [number, number, number][] = [];
        for (const ca of a) {
          const cb = b.find((x) => x.seed === ca.seed);
          const va = ca.metrics![k];
          const vb = cb?.metrics![k];
          if (cb && Number.isFinite(va) && Number.isFinite(vb)) pairs.push([ca.seed, va!, vb!]);
        }
        pairs.sort((p, q) => p[0] - q[0]);
        const diffs = pairs.map(([, va, vb]) => va - vb);
        const s = stats(diffs, pairs.map(([seed]) => seed), confidence);
        const mean = (xs: number[]) => xs.reduce((x, y) => x + y, 0) / Math.max(1, xs.length);
        paired.push({
          point,
          arm,
          baseline: base,
          metric: k,
          seeds: s.seeds,
          armMean: mean(pairs.map((p) => p[1])),
          baselineMean: mean(pairs.map((p) => p[2])),
          diff: { mean: s.mean, ...(s.halfWidth !== undefined ? { halfWidth: s.halfWidth, lo: s.mean - s.halfWidth, hi: s.mean + s.halfWidth, std: s.std! } : {}) },
        });
      }
    }
  }
  return { title: options.title ?? 'LEL sweep', confidence, axes, arms, metrics, headline: main, rows, paired, unfinished: cells.filter((c) => c.status !== 'done'), cells };
}

/** A cell's result from its run folder (`summary.json` for a finished run; its record for a failed one). */
export function cellResult(cell: { arm: string; point: GridPoint; seed: number; id: string }, runDir: string): CellResult {
  const st = runStatus(runDir);
  const out: CellResult = { ...cell, runDir, status: st.status };
  if (st.step !== undefined) out.step = st.step;
  if (st.error !== undefined) out.error = st.error;
  if (st.status === 'done') {
    const s = readSummary(runDir);
    out.metrics = s.metrics;
    out.steps = s.steps;
    out.wallSeconds = s.wallSeconds;
  }
  return out;
}

/** Every cell of a sweep folder (its `sweep.json` grid), with its run's outcome. */
export function gatherSweep(sweepDir: string): { manifest: SweepManifest; cells: CellResult[] } {
  const manifest = readManifest(sweepDir);
  const runsRoot = path.dirname(path.resolve(sweepDir));
  const dirOf = new Map(manifest.runs.map((r) => [r.id, path.join(runsRoot, ...r.dir.split('/'))]));
  const cells = manifest.cells.map((c) => cellResult({ arm: c.arm, point: c.point, seed: c.seed, id: c.id }, dirOf.get(c.id) ?? path.join(sweepDir, c.id)));
  return { manifest, cells };
}

/**
 * Cells from run folders (sweep runs or plain `lel train` runs): a sweep run brings its arm, grid point and seed from
 * `sweep-run.json`; a plain run is the arm named after its recipe, at no grid point, with its config's `seed`.
 */
export function gatherRunDirs(dirs: string[]): CellResult[] {
  return dirs.flatMap((dir) => {
    if (!fs.existsSync(path.join(dir, RUN_FILES.config))) throw new Error(`${dir} is not a run folder (no ${RUN_FILES.config})`);
    const config = readResolvedConfig(dir) as { recipe?: string; seed?: number };
    const id = runId(config);
    const recordFile = path.join(dir, 'sweep-run.json');
    if (fs.existsSync(recordFile)) {
      const record = JSON.parse(fs.readFileSync(recordFile, 'utf8')) as { id: string; cells: { arm: string; point: GridPoint; seed: number }[] };
      return record.cells.map((c) => cellResult({ ...c, id: record.id }, dir));
    }
    return [cellResult({ arm: config.recipe ?? path.basename(dir), point: {}, seed: config.seed ?? 0, id }, dir)];
  });
}

/** `0.8200 ± 0.0310 (n=5)`. */
function fmtStats(s: MetricStats | undefined): string {
  if (!s || s.n === 0) return '—';
  return s.halfWidth !== undefined ? `${s.mean.toFixed(4)} ± ${s.halfWidth.toFixed(4)}` : `${s.mean.toFixed(4)} (n=1)`;
}

function signed(v: number): string {
  return `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(4)}`;
}

/** `+0.0400 [−0.0100, +0.0900]`. */
function fmtDiff(p: PairedRow | undefined): string {
  if (!p || p.seeds.length === 0) return '—';
  return p.diff.lo !== undefined ? `${signed(p.diff.mean)} [${signed(p.diff.lo)}, ${signed(p.diff.hi!)}]` : `${signed(p.diff.mean)} (1 pair)`;
}

function pointCells(report: SweepReport, point: GridPoint): string[] {
  return report.axes.map((k) => (k in point ? (typeof point[k] === 'string' ? (point[k] as string) : JSON.stringify(point[k])) : '—'));
}

/**
 * The report as Markdown: the arms table (mean ± half-width of the interval over seeds, per metric), the paired
 * table (mean paired difference and its interval), and the cells without a finished run. Deterministic: the same
 * results give the same text, wherever and however the runs ran.
 */
export function reportMarkdown(report: SweepReport): string {
  const pct = `${Math.round(report.confidence * 100)}%`;
  const axisHead = report.axes.map((a) => `${a} | `).join('');
  const axisRule = report.axes.map(() => '---|').join('');
  const lines: string[] = [`## ${report.title}`, ''];
  if (report.metrics.length === 0) lines.push('No run has finished yet.');
  else lines.push(`Mean ± half-width of the ${pct} Student-t interval over seeds (n = finished runs). Headline metric: \`${report.headline}\`.`, '');
  if (report.metrics.length > 0) lines.push(`| ${axisHead}arm | n | ${report.metrics.join(' | ')} |`, `|${axisRule}---|---:|${report.metrics.map(() => '---:').join('|')}|`);
  for (const r of report.metrics.length > 0 ? report.rows : []) {
    lines.push(`| ${pointCells(report, r.point).map((c) => `${c} | `).join('')}${r.arm} | ${r.finished}${r.finished < r.cells ? `/${r.cells}` : ''} | ${report.metrics.map((k) => fmtStats(r.metrics[k])).join(' | ')} |`);
  }
  if (report.paired.length > 0 && report.metrics.length > 0) {
    lines.push('', `Paired by seed: mean difference (arm − baseline) over the seeds both finished, [${pct} t-interval].`, '');
    lines.push(`| ${axisHead}comparison | pairs | ${report.metrics.map((k) => `Δ ${k}`).join(' | ')} |`, `|${axisRule}---|---:|${report.metrics.map(() => '---:').join('|')}|`);
    const groups = new Map<string, PairedRow[]>();
    for (const p of report.paired) {
      const key = `${canonicalJson(p.point)}\u0000${p.arm}\u0000${p.baseline}`;
      groups.set(key, [...(groups.get(key) ?? []), p]);
    }
    for (const ps of groups.values()) {
      const p0 = ps[0]!;
      const pairs = Math.max(...ps.map((p) => p.seeds.length));
      lines.push(`| ${pointCells(report, p0.point).map((c) => `${c} | `).join('')}${p0.arm} − ${p0.baseline} | ${pairs} | ${report.metrics.map((k) => fmtDiff(ps.find((p) => p.metric === k))).join(' | ')} |`);
    }
  }
  if (report.unfinished.length > 0) {
    lines.push('', 'Cells without a finished run:', '', '| arm | point | seed | run | status | error |', '|---|---|---:|---|---|---|');
    for (const c of report.unfinished) {
      lines.push(`| ${c.arm} | ${pointLabel(c.point) || '—'} | ${c.seed} | ${c.id} | ${c.status}${c.step !== undefined ? ` (step ${c.step})` : ''} | ${(c.error ?? '').split('\n')[0]!.replaceAll('|', '\\|')} |`);
    }
  }
  return lines.join('\n') + '\n';
}

/** The report as one self-contained HTML page (tables, a bar chart of the headline, links to each run's report). */
export function reportHtml(report: SweepReport, outDir: string): string {
  const pct = `${Math.round(report.confidence * 100)}%`;
  const th = (cols: string[]) => `<tr>${cols.map((c) => `<th>${esc(c)}</th>`).join('')}</tr>`;
  const armRows = report.rows
    .map((r) => `<tr>${pointCells(report, r.point).map((c) => `<td>${esc(c)}</td>`).join('')}<th>${esc(r.arm)}</th><td>${r.finished}${r.finished < r.cells ? `/${r.cells}` : ''}</td>${report.metrics.map((k) => `<td>${esc(fmtStats(r.metrics[k]))}</td>`).join('')}</tr>`)
    .join('');
  const pairedRows = report.paired
    .filter((p) => p.metric === report.headline)
    .map((p) => `<tr>${pointCells(report, p.point).map((c) => `<td>${esc(c)}</td>`).join('')}<th>${esc(`${p.arm} − ${p.baseline}`)}</th><td>${p.seeds.length}</td><td>${fmt(p.armMean)}</td><td>${fmt(p.baselineMean)}</td><td>${esc(fmtDiff(p))}</td></tr>`)
    .join('');
  const bars = report.rows.map((r) => {
    const s = r.metrics[report.headline];
    const label = [r.arm, pointLabel(r.point)].filter(Boolean).join(' ');
    return { label, value: s && s.n > 0 ? s.mean : NaN, ...(s?.halfWidth !== undefined ? { error: s.halfWidth } : {}) };
  });
  const diffBars = report.paired
    .filter((p) => p.metric === report.headline && p.seeds.length > 0)
    .map((p) => ({ label: [`${p.arm}−${p.baseline}`, pointLabel(p.point)].filter(Boolean).join(' '), value: p.diff.mean, ...(p.diff.halfWidth !== undefined ? { error: p.diff.halfWidth } : {}) }));
  const runLinks = report.cells
    .map((c) => {
      const rel = path.relative(outDir, c.runDir).split(path.sep).join('/');
      const link = fs.existsSync(path.join(c.runDir, RUN_FILES.report)) ? `<a href="${esc(rel)}/report.html">${esc(c.id)}</a>` : esc(c.id);
      const value = c.metrics?.[report.headline];
      return `<tr><th>${esc(c.arm)}</th><td>${esc(pointLabel(c.point) || '—')}</td><td>${c.seed}</td><td>${link}</td><td>${esc(c.status)}</td><td>${value !== undefined ? fmt(value) : '—'}</td><td class="err">${esc((c.error ?? '').split('\n')[0]!)}</td></tr>`;
    })
    .join('');
  const axisCols = report.axes;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(report.title)}</title><style>${REPORT_CSS}td.err{text-align:left;color:#a00}</style></head>
<body><h1>${esc(report.title)}</h1><p class="facts">Generated ${new Date().toISOString()} by lel sweep report. Mean ± half-width of the ${pct} Student-t interval over seeds; paired differences over the seeds both arms finished.</p>
<section><h2>Arms</h2><table class="arms">${th([...axisCols, 'arm', 'n', ...report.metrics])}${armRows}</table></section>
${pairedRows ? `<section><h2>Paired by seed: ${esc(report.headline)}</h2><table class="paired">${th([...axisCols, 'comparison', 'pairs', 'arm mean', 'baseline mean', `Δ [${pct} CI]`])}${pairedRows}</table></section>` : ''}
<div class="charts">${barChart({ title: `${report.headline} by arm (± ${pct} CI)`, yLabel: report.headline, bars })}${barChart({ title: `Paired Δ ${report.headline} (± ${pct} CI)`, yLabel: `Δ ${report.headline}`, bars: diffBars })}</div>
<section><h2>Runs</h2><table class="runs">${th(['arm', 'point', 'seed', 'run', 'status', report.headline, 'error'])}${runLinks}</table></section>
</body></html>
`;
}

/** Write `report.md`, `report.json` and `report.html` into `outDir` (atomic); returns their paths. */
export function writeSweepReport(report: SweepReport, outDir: string): { markdown: string; json: string; html: string } {
  fs.mkdirSync(outDir, { recursive: true });
  const files = { markdown: path.join(outDir, 'report.md'), json: path.join(outDir, 'report.json'), html: path.join(outDir, 'report.html') };
  writeFileAtomicSync(files.markdown, reportMarkdown(report));
  writeFileAtomicSync(files.json, JSON.stringify(report, null, 2) + '\n');
  writeFileAtomicSync(files.html, reportHtml(report, outDir));
  return files;
}
