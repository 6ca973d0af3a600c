import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoCommand, demoEffectSettings, demoStages, effectComparisons, effectLines, type DemoStage } from './demo';
import { armKeys, planGrid } from './effects/grid';
import { EFFECT_SETTINGS } from './effects/settings';
import type { RunSummary } from './recipes/types';
import { readResolvedConfig } from './config/load';
import { missingRunFiles } from './run-dir';
import { tempDir } from './testing';
import { RECIPES } from './recipes';

describe('demo stages: seed 0 of the effect settings', () => {
  it('runs each chosen arm with exactly the effect grid’s overrides (seed 0), the kd-1/32 teacher being the cct-1/8 ceiling stage', () => {
    const out = tempDir('demo-stages');
    const stages = demoStages(false, out);
    const settings = demoEffectSettings();
    const { runs } = planGrid(settings, [0], '/grid', false);
    for (const s of settings) {
      for (const [arm, key] of armKeys(s, false)) {
        const stage = stages.find((x) => x.effects?.some((e) => e.setting === s.id && e.arm === arm))!;
        const run = runs.find((r) => r.key === key)!;
        // The same overrides as `lel effects` (the same key: recipe + canonical overrides), only the run folders differ.
        const runFolders = (sets: string[]) => sets.map((x) => x.replace(path.resolve(out), '/grid').replace(/\/grid\/[^/]+(\/seed0)?$/, '<run>'));
        expect(stage.recipe).toBe(run.recipe);
        expect(runFolders(stage.sets)).toEqual(runFolders(run.sets));
        expect(armKeys(EFFECT_SETTINGS.find((x) => x.id === s.id)!, false).get(arm)).toBe(key);
      }
    }
    const kd = stages.find((s) => s.name === 'kd-1-32-kd')!;
    expect(kd.after).toEqual(['cct-1-8-ceiling']);
    expect(kd.sets).toContain(`teacher.run=${path.join(path.resolve(out), 'cct-1-8-ceiling')}`);
    expect(stages.find((s) => s.name === 'cct-1-8-ceiling')!.effects).toEqual([
      { setting: 'cct-1/8', arm: 'ceiling' },
      { setting: 'kd-1/32', arm: 'teacher' },
    ]);
    expect(stages.find((s) => s.name === 'cct-1-8-cct')).toMatchObject({ baseline: 'cct-1-8-supervised', ceiling: 'cct-1-8-ceiling' });
    expect(stages.find((s) => s.name === 'arseg-fg-ac')).toMatchObject({ baseline: 'arseg-fg-iic' });
    expect(stages.filter((s) => s.name.startsWith('cct-1-8-') || s.name.startsWith('kd-1-32-') || s.name.startsWith('arseg-fg-'))).toHaveLength(7);
  });
});

describe('lel demo --quick', () => {
  it('runs every stage for real in a pool of training processes, the KD stage after its teacher, and writes the report', async () => {
    const out = tempDir('demo');
    const lines: string[] = [];
    const effectsFile = path.join(out, 'no-effects.json');
    const r = await demoCommand({ out, quick: true, backend: 'wasm', log: (l) => lines.push(l), effectsFile });
    const names = new Set(RECIPES.map((x) => x.name));
    const expected = demoStages(true, out).filter((s) => names.has(s.recipe)).map((s) => s.name);
    expect(r.summaries.map((s) => s.stage.name)).toEqual(expected);
    for (const s of r.summaries) {
      expect(missingRunFiles(path.join(out, s.stage.name))).toEqual([]);
      for (const v of Object.values(s.summary.metrics)) expect(Number.isFinite(v)).toBe(true);
    }
    // The distillation stage read the ceiling stage's run as its teacher, and started after it finished.
    const kdLog = fs.readFileSync(path.join(out, 'kd-1-32-kd', 'train.log'), 'utf8');
    expect(kdLog).toContain('teacher mIoU');
    expect((readResolvedConfig(path.join(out, 'kd-1-32-kd')) as { teacher: { run: string } }).teacher.run).toBe(path.join(path.resolve(out), 'cct-1-8-ceiling'));
    const ended = (stage: string) => fs.statSync(path.join(out, stage, 'summary.json')).mtimeMs;
    const kdStarted = Date.parse((JSON.parse(fs.readFileSync(path.join(out, 'kd-1-32-kd', 'sweep-run.json'), 'utf8')) as { attempts: { started: string }[] }).attempts[0]!.started);
    expect(kdStarted).toBeGreaterThanOrEqual(Math.floor(ended('cct-1-8-ceiling')) - 1000);
    expect(lines.some((l) => l.startsWith('[demo] ── kd-1-32-kd: KD'))).toBe(true);
    expect(fs.readFileSync(r.report, 'utf8')).toContain('LEL demo');
    const summary = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
    expect(summary).toMatch(/\| cct-1-8-cct \| CCT 1\/8 \(cct-1\/8: /);
    expect(r.summaries.find((s) => s.stage.name === 'cct-1-8-cct')!.summary.classNames).toEqual(['background', '0', '1', '4', '7']);
    // The MIL stage and its baseline: the same recipe, with and without the information bottleneck.
    expect(r.summaries.find((s) => s.stage.name === 'mil-ib')!.summary.notes.join(' ')).toMatch(/Bernoulli-mask IB/);
    expect(r.summaries.find((s) => s.stage.name === 'clam-sb')!.summary.notes.join(' ')).toMatch(/CLAM-SB baseline/);
    expect(summary).toMatch(/\| mil-ib \| .* \| bag accuracy \d\.\d{3} \(AUC/);
    // The text stages fine-tune the 4 × 256 shipped BERT; the PEFT stage keeps full fine-tuning's linear head and is compared with it.
    expect(lines.some((l) => l.includes('text stages fine-tune bert-l4-h256-lel'))).toBe(true);
    expect(r.summaries.find((s) => s.stage.name === 'peft-lora')!.summary.notes.join(' ')).toMatch(/linear head/);
    expect(summary).toMatch(/\| peft-lora \| .* points vs finetune-full \(\d\.\d{3}; 1 seed\) \|/);
    // Every method stage against its baseline stage (one seed, said so), CCT also against the all-label ceiling.
    expect(summary).toMatch(/\| cct-1-8-cct \| .* points vs cct-1-8-supervised \(\d\.\d{3}; 1 seed\); ceiling \(cct-1-8-ceiling\) \d\.\d{3}/);
    expect(summary).toMatch(/\| kd-1-32-kd \| .* points vs kd-1-32-student \(/);
    expect(summary).toMatch(/\| arseg-fg-ac \| .* points vs arseg-fg-iic \(/);
    expect(summary).toMatch(/\| mil-ib \| .* points vs clam-sb \(/);
    // Seed 0 of each effect comparison, with no table to set it beside.
    expect(r.comparisons).toHaveLength(3);
    expect(r.comparisons[0]).toMatch(/^- CCT vs supervised, 1\/8 labelled: CCT 1\/8 \d+\.\d vs supervised 1\/8 \d+\.\d mIoU, [+−]\d+\.\d \(seed 0\); supervised, all labels \d+\.\d \(ceiling\); table: not measured yet/);
    expect(r.comparisons[2]).toMatch(/^- Autoregressive clustering .*: AC \(two orderings\) \d+\.\d vs IIC \(two views\) /);
    // A second run reuses the finished stages instead of training again.
    const again = await demoCommand({ out, quick: true, backend: 'wasm', log: (l) => lines.push(l), effectsFile });
    expect(again.summaries).toHaveLength(expected.length);
    expect(lines.filter((l) => l.includes('already finished')).length).toBe(expected.length);
  });
});

describe('demo: the measured effect tables', () => {
  it('sets each seed-0 comparison beside its table: the paired difference, its interval, and whether the table’s seed 0 is this run', () => {
    const file = path.join(tempDir('demo-compare'), 'effects.json');
    const summary = (miou: number) => ({ metrics: { miou } }) as unknown as RunSummary;
    const stage = (name: string, setting: string, arms: string[]): DemoStage => ({ name, recipe: 'x', story: '', sets: [], effects: arms.map((arm) => ({ setting, arm })) });
    const done = [
      { stage: stage('s', 'cct-1/8', ['supervised']), summary: summary(0.5) },
      { stage: stage('c', 'cct-1/8', ['cct']), summary: summary(0.53) },
      { stage: stage('all', 'cct-1/8', ['ceiling']), summary: summary(0.66) },
    ];
    const arm = (id: string, values: number[]) => ({ id, seeds: values.map((_, i) => i), values });
    const table = (cctSeed0: number) => ({
      results: [
        {
          id: 'cct-1/8',
          arms: [arm('supervised', [0.5, 0.48]), arm('cct', [cctSeed0, 0.55])],
          comparisons: [{ method: 'cct', baseline: 'supervised', seeds: [0, 1], meanDifference: 0.05, interval: [-0.014, 0.085], verdict: 'no clear difference' }],
        },
      ],
    });
    fs.writeFileSync(file, JSON.stringify(table(0.53)));
    const settings = demoEffectSettings().filter((s) => s.id === 'cct-1/8');
    expect(effectComparisons(done, file, settings)).toEqual([
      '- CCT vs supervised, 1/8 labelled: CCT 1/8 53.0 vs supervised 1/8 50.0 mIoU, +3.0 (seed 0); supervised, all labels 66.0 (ceiling); ' +
        'table over 2 paired seeds: +5.0 [−1.4, +8.5] (no clear difference); its seed 0 is this run',
    ]);
    fs.writeFileSync(file, JSON.stringify(table(0.6)));
    expect(effectComparisons(done, file, settings)[0]).toMatch(/; its seed 0 differs: 60\.0 vs 50\.0$/);
    // A table whose setting misses the headroom rule keeps its verdict but says it is no claim.
    const short = table(0.53);
    fs.writeFileSync(file, JSON.stringify({ results: [{ ...short.results[0], headroom: { chance: 0.17, baseline: 0.5, ceiling: 0.64, margin: 0.14, required: 0.15, counts: false } }] }));
    expect(effectComparisons(done, file, settings)[0]).toMatch(/\(no clear difference, but the setting misses the headroom rule: no claim\); its seed 0 is this run$/);
    expect(effectComparisons(done, path.join(path.dirname(file), 'none.json'), settings)[0]).toMatch(/; table: not measured yet \(`pnpm effects --methods cct-1\/8`\)$/);
    // A stage not run (or without the metric) gives no line.
    expect(effectComparisons(done.slice(1), file, settings)).toEqual([]);
  });

  it('prints one line per setting with the seeds behind each number, and no claim without headroom', () => {
    const file = path.join(tempDir('demo-effects'), 'effects.json');
    const arm = (id: string, role: string, values: number[]) => ({ id, label: id, role, seeds: values.map((_, i) => i), values, mean: values.reduce((a, b) => a + b, 0) / values.length, std: 0, runs: [] });
    const result = {
      id: 'x-1/8',
      title: 'X vs base',
      arms: [arm('base', 'baseline', [0.3, 0.4, 0.5]), arm('x', 'method', [0.4, 0.5]), arm('all', 'ceiling', [0.8])],
      comparisons: [{ method: 'x', baseline: 'base', seeds: [0, 1], differences: [0.1, 0.1], meanDifference: 0.1, interval: [0.1, 0.1], wins: 2, verdict: 'better', paper: '' }],
      headroom: { chance: 0.1, baseline: 0.4, ceiling: 0.8, margin: 0.4, required: 0.15, counts: true },
    };
    const underWay = { ...result, title: 'U', arms: [arm('base', 'baseline', []), arm('x', 'method', []), arm('all', 'ceiling', [0.8])], comparisons: [{ ...result.comparisons[0], seeds: [] }], headroom: null };
    fs.writeFileSync(file, JSON.stringify({ results: [result, underWay], text: [{ ...result, title: 'T', headroom: null }] }));
    expect(effectLines(file)).toEqual([
      '- X vs base: baseline 40.0 (3 seeds); x +10.0 [+10.0, +10.0] (2 seeds, better); ceiling 80.0 (counts)',
      '- U: baseline not run; x not run yet; ceiling 80.0 (baseline not run yet: no claim)',
      '- T: baseline 40.0 (3 seeds); x +10.0 [+10.0, +10.0] (2 seeds, better); ceiling 80.0 (no ceiling: no claim)',
    ]);
    expect(effectLines(path.join(path.dirname(file), 'none.json'))).toEqual([]);
  });
});
