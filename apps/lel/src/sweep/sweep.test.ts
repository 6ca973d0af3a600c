import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { meanConfidenceInterval } from '@lel/core';
import { tempDir } from '../testing';
import { stringify as stringifyYaml } from 'yaml';
import { sweepReportCommand, sweepStatusCommand } from './command';
import { writeManifest } from './manifest';
import { planSweep } from './plan';
import { writeRunRecord } from './run-record';
import { buildSweepReport, gatherRunDirs, reportMarkdown, type CellResult } from './report';
import { canonicalJson, runId } from './run-id';
import { checkSpec, flattenSets, loadSweepSpec, specFromFlags } from './spec';
import { errorFromLog } from './train-process';
import { parseQueueUrl, redactUrl } from './queue';
import { runDirOf } from './worker';
import { formatCounts, SweepProgress, sweepEta } from './progress';

const TINY = { data: { labelled: { n: 6, heldOut: 6 } }, mil: { hiddenDim: 8, attentionDim: 4, numSamples: 2, topK: 4 }, train: { maxSteps: 3 } };

function spec(raw: Record<string, unknown>) {
  return checkSpec({ name: 't', ...raw }, { source: 'test spec', dir: process.cwd() });
}

describe('sweep spec', () => {
  it('reads a YAML spec and names the sweep after the file', () => {
    const dir = tempDir('spec');
    const file = path.join(dir, 'my-grid.yaml');
    fs.writeFileSync(file, 'recipe: mil-ib\nseeds: 3\naxes:\n  mil.lr: [1.0e-4, 1.0e-3]\n');
    const loaded = loadSweepSpec(file);
    expect(loaded.name).toBe('my-grid');
    expect(loaded.spec.seeds).toBe(3);
    expect(loaded.spec.axes).toEqual({ 'mil.lr': [1e-4, 1e-3] });
    // Flags apply over the file.
    expect(loadSweepSpec(file, { seeds: '4,5', set: ['train.maxSteps=2'] }).spec).toMatchObject({ seeds: [4, 5], set: ['train.maxSteps=2'] });
  });

  it('names the file and the key in every error', () => {
    const dir = tempDir('spec-bad');
    const file = path.join(dir, 'bad.yaml');
    fs.writeFileSync(file, 'recipe: mil-ib\nseds: 3\n');
    expect(() => loadSweepSpec(file)).toThrow(/sweep spec .*bad\.yaml is invalid:\n {2}- seds: unknown key \(did you mean "seeds"\?\)/);
    fs.writeFileSync(file, 'recipe: mil-ib\narms: [{label: a}, {label: a}]\n');
    expect(() => loadSweepSpec(file)).toThrow(/the label "a" is used twice/);
    fs.writeFileSync(file, 'recipe: mil-ib\nreport: {baseline: nope}\n');
    expect(() => loadSweepSpec(file)).toThrow(/report: no arm "nope"; arms: mil-ib/);
    fs.writeFileSync(file, '- a\n');
    expect(() => loadSweepSpec(file)).toThrow(/the top level must be a mapping/);
    expect(() => loadSweepSpec(path.join(dir, 'none.yaml'))).toThrow(/none\.yaml: no such file/);
    expect(() => loadSweepSpec(undefined, {})).toThrow(/give a spec file, or at least --recipe/);
    expect(() => specFromFlags({ axis: ['mil.lr'] })).toThrow(/--axis "mil.lr": expected key=\[v1, v2, …\]/);
    expect(() => specFromFlags({ seeds: '0,x' })).toThrow(/--seeds "0,x": expected comma-separated numbers/);
  });

  it('flattens mappings into --set overrides that read back as the same values', () => {
    expect(flattenSets({ train: { maxSteps: 40 }, 'mil.lr': 1e-4, 'cct.loss.unsup': 'kl', 'model.widths': [8, 16], empty: {} })).toEqual([
      'train.maxSteps=40',
      'mil.lr=0.0001',
      'cct.loss.unsup="kl"',
      'model.widths=[8,16]',
    ]);
    expect(flattenSets(['a=1'])).toEqual(['a=1']);
  });
});

describe('run ids', () => {
  it('hash the canonical config: key order does not matter, values and the recipe do, logging cadence does not', () => {
    const a = { recipe: 'x', seed: 1, train: { maxSteps: 10, logEvery: 1, checkpointEvery: 5, keepLast: 2 } };
    const b = { train: { keepLast: 9, checkpointEvery: 1, logEvery: 7, maxSteps: 10 }, seed: 1, recipe: 'x' };
    expect(canonicalJson({ b: 1, a: { d: 2, c: [3, { f: 1, e: 2 }] } })).toBe('{"a":{"c":[3,{"e":2,"f":1}],"d":2},"b":1}');
    expect(runId(a)).toMatch(/^[0-9a-f]{12}$/);
    expect(runId(b)).toBe(runId(a));
    expect(runId({ ...a, seed: 2 })).not.toBe(runId(a));
    expect(runId({ ...a, recipe: 'y' })).not.toBe(runId(a));
    expect(runId({ ...a, train: { ...a.train, maxSteps: 11 } })).not.toBe(runId(a));
  });
});

describe('planSweep', () => {
  it('crosses arms × axes × seeds, resolves every cell as lel train does, and shares runs between identical cells', () => {
    const plan = planSweep(
      spec({
        recipe: 'mil-ib',
        set: TINY,
        arms: [{ label: 'clam-sb', set: { 'mil.useIb': false } }, { label: 'mil-ib' }, { label: 'ceiling', set: { 'mil.useIb': false, 'data.labelled.n': 12 } }],
        axes: { 'data.labelled.n': [6, 8] },
        seeds: [0, 1],
      }),
    );
    expect(plan.axes).toEqual(['data.labelled.n']);
    expect(plan.cells).toHaveLength(3 * 2 * 2);
    // The ceiling arm pins data.labelled.n: its two points are the same run per seed.
    expect(plan.runs).toHaveLength(2 * 2 * 2 + 2);
    const ceiling = plan.cells.filter((c) => c.arm === 'ceiling');
    expect(ceiling.filter((c) => c.seed === 0).map((c) => c.id)).toEqual([ceiling[0]!.id, ceiling[0]!.id]);
    const run = plan.runs.find((r) => r.id === ceiling[0]!.id)!;
    expect(run.cells.map((c) => c.point)).toEqual([{ 'data.labelled.n': 6 }, { 'data.labelled.n': 8 }]);
    expect(run.config).toMatchObject({ recipe: 'mil-ib', seed: 0, data: { seed: 0, labelled: { n: 12 } }, mil: { useIb: false } });
    expect(run.dir).toBe(`t/${run.id}`);
    // Re-planning gives the same ids (a re-submitted sweep finds its runs).
    expect(planSweep(spec({ recipe: 'mil-ib', set: TINY, arms: [{ label: 'clam-sb', set: { 'mil.useIb': false } }, { label: 'mil-ib' }, { label: 'ceiling', set: { 'mil.useIb': false, 'data.labelled.n': 12 } }], axes: { 'data.labelled.n': [6, 8] }, seeds: [0, 1] })).runs.map((r) => r.id)).toEqual(plan.runs.map((r) => r.id));
  });

  it('takes label fractions as an axis on labelFractionKey and config files relative to the spec', () => {
    const dir = tempDir('plan-files');
    fs.writeFileSync(path.join(dir, 'base.yaml'), 'data: { labelled: { source: digit-scenes, n: 16, heldOut: 4 } }\ntrain: { maxSteps: 2 }\n');
    const file = path.join(dir, 'grid.yaml');
    fs.writeFileSync(file, 'recipe: cct-supervised\nconfig: base.yaml\nlabelFractions: [0.25, 0.5]\n');
    const plan = planSweep(loadSweepSpec(file));
    expect(plan.axes).toEqual(['data.labelled.fraction']);
    expect(plan.runs.map((r) => (r.config as { data: { labelled: unknown } }).data.labelled)).toMatchObject([
      { source: 'digit-scenes', fraction: 0.25, n: 16 },
      { source: 'digit-scenes', fraction: 0.5, n: 16 },
    ]);
  });

  it('reports every invalid cell before anything runs', () => {
    expect(() => planSweep(spec({ recipe: 'mil-ib', axes: { 'mil.lrr': [1, 2] }, seeds: 2 }))).toThrow(
      /4 cells have an invalid config \(nothing was started\):\nmil-ib mil.lrr=1 seed=0 \(and 3 more\): .*mil.lrr: unknown key \(did you mean "lr"\?\)/s,
    );
    expect(() => planSweep(spec({ recipe: 'nope' }))).toThrow(/arm "nope": unknown recipe "nope"/);
  });
});

function cell(arm: string, seed: number, metrics: Record<string, number> | undefined, point = {}): CellResult {
  return { arm, seed, point, id: `${arm}-${seed}`, runDir: `/runs/${arm}-${seed}`, status: metrics ? 'done' : 'failed', ...(metrics ? { metrics } : { error: 'crossEntropy: logits contains NaN' }) };
}

describe('buildSweepReport', () => {
  it('gives each arm its mean and t-interval over seeds, and each comparison the paired difference with its t-interval', () => {
    const base = [0.5, 0.6, 0.55, 0.7];
    const method = [0.62, 0.66, 0.6, 0.8];
    const cells = [...base.map((v, s) => cell('baseline', s, { acc: v, loss: 1 - v })), ...method.map((v, s) => cell('method', s, { acc: v, loss: 1 - v })), cell('ceiling', 0, { acc: 0.9, loss: 0.1 }), cell('ceiling', 1, undefined)];
    const r = buildSweepReport(cells, { metrics: ['acc'] });
    expect(r.arms).toEqual(['baseline', 'method', 'ceiling']);
    const ci = meanConfidenceInterval(base);
    expect(r.rows[0]!.metrics.acc).toMatchObject({ n: 4, mean: ci.mean, halfWidth: ci.halfWidth, seeds: [0, 1, 2, 3] });
    const diffs = method.map((v, i) => v - base[i]!);
    const d = meanConfidenceInterval(diffs);
    const p = r.paired.find((x) => x.arm === 'method')!;
    expect(p.baseline).toBe('baseline');
    expect(p.seeds).toEqual([0, 1, 2, 3]);
    expect(p.diff.mean).toBeCloseTo(d.mean, 12);
    expect(p.diff.halfWidth).toBeCloseTo(d.halfWidth, 12);
    expect(p.diff.lo).toBeCloseTo(d.mean - d.halfWidth, 12);
    // The paired interval is narrower than the unpaired spread suggests (same seeds move together).
    expect(p.diff.halfWidth!).toBeLessThan(ci.halfWidth);
    // One pair: a difference without an interval; the failed cell is listed with its error.
    const c = r.paired.find((x) => x.arm === 'ceiling')!;
    expect(c.seeds).toEqual([0]);
    expect(c.diff.halfWidth).toBeUndefined();
    expect(r.unfinished.map((u) => u.id)).toEqual(['ceiling-1']);
    const md = reportMarkdown(r);
    expect(md).toContain(`| method | 4 | ${method.reduce((a, b) => a + b) / 4 > 0 ? (method.reduce((a, b) => a + b) / 4).toFixed(4) : ''} ± `);
    expect(md).toContain(`| method − baseline | 4 | +${d.mean.toFixed(4)} [${d.mean - d.halfWidth >= 0 ? '+' : '−'}${Math.abs(d.mean - d.halfWidth).toFixed(4)}, +${(d.mean + d.halfWidth).toFixed(4)}] |`);
    expect(md).toContain('| ceiling − baseline | 1 | +0.4000 (1 pair) |');
    expect(md).toContain('| ceiling | — | 1 | ceiling-1 | failed | crossEntropy: logits contains NaN |');
    // Deterministic.
    expect(reportMarkdown(buildSweepReport(cells, { metrics: ['acc'] }))).toBe(md);
  });

  it('compares within each grid point, with the spec\'s baseline or explicit pairs', () => {
    const cells = [0, 1].flatMap((s) => [0.1, 0.2].flatMap((lr) => [cell('a', s, { acc: lr + s }, { lr }), cell('b', s, { acc: 2 * lr + s }, { lr })]));
    const r = buildSweepReport(cells, { baseline: 'b' });
    expect(r.axes).toEqual(['lr']);
    expect(r.paired.map((p) => [p.point, p.arm, p.baseline, p.diff.mean])).toEqual([
      [{ lr: 0.1 }, 'a', 'b', expect.closeTo(-0.1, 12)],
      [{ lr: 0.2 }, 'a', 'b', expect.closeTo(-0.2, 12)],
    ]);
    expect(buildSweepReport(cells, { compare: [['b', 'a']] }).paired.map((p) => p.diff.mean)).toEqual([expect.closeTo(0.1, 12), expect.closeTo(0.2, 12)]);
  });

  it('says so when no run has finished', () => {
    const md = reportMarkdown(buildSweepReport([cell('a', 0, undefined)]));
    expect(md).toContain('No run has finished yet.');
    expect(md).not.toContain('| arm | n |');
    expect(md).toContain('| a | — | 0 | a-0 | failed | crossEntropy: logits contains NaN |');
  });

  it('gathers plain lel train run folders: arm = recipe, paired by the config seed', () => {
    const dir = tempDir('gather');
    const mk = (name: string, recipe: string, seed: number, acc: number) => {
      const run = path.join(dir, name);
      fs.mkdirSync(run);
      fs.writeFileSync(path.join(run, 'config.resolved.yaml'), `recipe: ${recipe}\nseed: ${seed}\n`);
      fs.writeFileSync(path.join(run, 'summary.json'), JSON.stringify({ metrics: { accuracy: acc }, steps: 3, wallSeconds: 1 }));
      return run;
    };
    const runs = [mk('a0', 'cct', 0, 0.5), mk('a1', 'cct', 1, 0.6), mk('b0', 'cct-supervised', 0, 0.4), mk('b1', 'cct-supervised', 1, 0.45)];
    const r = buildSweepReport(gatherRunDirs(runs), { baseline: 'cct-supervised' });
    expect(r.paired[0]).toMatchObject({ arm: 'cct', baseline: 'cct-supervised', seeds: [0, 1] });
    expect(r.paired[0]!.diff.mean).toBeCloseTo(0.125, 12);
    expect(() => gatherRunDirs([dir])).toThrow(/is not a run folder/);
  });
});

describe('lel sweep status / report on a sweep folder', () => {
  it('show every cell: finished ones with their metrics, a failed one with its error, a pending one', async () => {
    const plan = planSweep(spec({ recipe: 'mil-ib', set: TINY, arms: [{ label: 'clam-sb', set: { 'mil.useIb': false } }, { label: 'mil-ib' }], seeds: 2, report: { baseline: 'clam-sb' } }));
    const runsDir = tempDir('sweep-folder');
    const sweepDir = writeManifest(plan, runsDir);
    const acc: Record<string, number> = {};
    plan.runs.forEach((run, i) => {
      const dir = path.join(runsDir, ...run.dir.split('/'));
      const cell = run.cells[0]!;
      if (cell.arm === 'mil-ib' && cell.seed === 1) return; // pending: never started
      fs.mkdirSync(dir, { recursive: true });
      fs.writeFileSync(path.join(dir, 'config.resolved.yaml'), stringifyYaml(run.config));
      const record = { id: run.id, sweep: plan.name, recipe: run.recipe, sets: run.sets, cells: run.cells, attempts: [], updated: '' };
      if (cell.arm === 'clam-sb' && cell.seed === 1) {
        writeRunRecord(dir, { ...record, state: 'failed', error: 'crossEntropy: logits contains NaN (shape [1,2])' });
        return;
      }
      acc[run.id] = 0.5 + i / 10;
      fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ metrics: { bag_accuracy: acc[run.id], bag_auc: 0.5 }, steps: 3, wallSeconds: 1 }));
      writeRunRecord(dir, { ...record, state: 'done' });
    });
    const status = await sweepStatusCommand(sweepDir);
    expect(status).toMatch(/sweep t: 4 cells, 4 runs in .* — 2 done · 0 running · 1 failed · 0 stopped · 1 pending/);
    expect(status).toMatch(/clam-sb +— +1 +[0-9a-f]{12} +failed +crossEntropy: logits contains NaN/);
    expect(status).toMatch(/mil-ib +— +1 +[0-9a-f]{12} +pending/);
    expect(status).toMatch(new RegExp(`clam-sb +— +0 +[0-9a-f]{12} +done +3 +${Object.values(acc)[0]!.toFixed(4)}`));
    const { report, files } = sweepReportCommand([sweepDir]);
    expect(report.title).toBe('Sweep t');
    expect(report.rows.map((r) => [r.arm, r.finished, r.cells])).toEqual([
      ['clam-sb', 1, 2],
      ['mil-ib', 1, 2],
    ]);
    expect(report.paired.find((p) => p.metric === 'bag_accuracy')).toMatchObject({ arm: 'mil-ib', baseline: 'clam-sb', seeds: [0] });
    expect(fs.readFileSync(files.markdown, 'utf8')).toContain('| clam-sb | — | 1 |');
    expect(fs.readFileSync(files.html, 'utf8')).toContain('<h2>Paired by seed: bag_accuracy</h2>');
    expect(path.dirname(files.json)).toBe(sweepDir);
    expect(() => sweepReportCommand([path.join(runsDir, 'nope')])).toThrow(/is not a run folder/);
  });
});

describe('sweep plumbing', () => {
  it('takes the error a failed lel train printed', () => {
    expect(errorFromLog('[lel] banner\nstep 1\nlel: crossEntropy: logits contains NaN (shape [1,2])\n')).toBe('crossEntropy: logits contains NaN (shape [1,2])');
    expect(errorFromLog('lel: old\nlel: config is invalid:\n  - a: unknown key\n')).toBe('config is invalid:\n  - a: unknown key');
    expect(errorFromLog('a\nb\n<--- JS stacktrace --->\n')).toBe('a\nb\n<--- JS stacktrace --->');
  });

  it('checks queue URLs and keeps passwords out of messages', () => {
    expect(parseQueueUrl('redis://127.0.0.1:6379')).toBe('redis://127.0.0.1:6379');
    expect(() => parseQueueUrl('http://x')).toThrow(/expected a redis:\/\/ or rediss:\/\/ URL/);
    expect(() => parseQueueUrl('localhost:6379')).toThrow(/expected a redis/);
    expect(() => parseQueueUrl('nonsense')).toThrow(/not a URL/);
    expect(redactUrl('redis://user:secret@host:6379/0')).toBe('redis://user:***@host:6379/0');
  });

  it('keeps a job inside the runs folder', () => {
    expect(runDirOf('/shared/runs', { dir: 'grid/abc' })).toBe(path.resolve('/shared/runs/grid/abc'));
    expect(() => runDirOf('/shared/runs', { dir: '../etc' })).toThrow(/not inside the runs folder/);
    expect(() => runDirOf('/shared/runs', { dir: '/etc/x' })).toThrow(/not inside the runs folder/);
  });

  it('shows done / running / failed / pending with an ETA from the finished runs, one line per change without a terminal', () => {
    expect(sweepEta([], 3, 2)).toBeUndefined();
    expect(sweepEta([], 0, 2)).toBe(0);
    expect(sweepEta([10, 20], 4, 2)).toBe(30);
    expect(sweepEta([10], 1, 4)).toBe(10);
    expect(formatCounts({ total: 40, done: 12, running: 3, failed: 1, etaSec: 3730 })).toBe('12/40 done · 3 running · 1 failed · 24 pending · ETA 1:02:10');
    let out = '';
    const p = new SweepProgress('g', 4, { mode: 'lines', stream: { write: (s: string) => (out += s) } });
    p.start({ total: 4, done: 0, running: 0, failed: 0 });
    p.update({ total: 4, done: 0, running: 2, failed: 0 });
    p.update({ total: 4, done: 0, running: 2, failed: 0, etaSec: 5 });
    p.print('[sweep] done x');
    p.update({ total: 4, done: 1, running: 2, failed: 0, etaSec: 5 });
    p.stop();
    expect(out.split('\n').filter(Boolean)).toEqual([
      '[sweep g] 0/4 done · 0 running · 0 failed · 4 pending · ETA ?',
      '[sweep g] 0/4 done · 2 running · 0 failed · 2 pending · ETA ?',
      '[sweep] done x',
      '[sweep g] 1/4 done · 2 running · 0 failed · 1 pending · ETA 0:05',
    ]);
  });
});
