import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoCommand, demoStages, effectLines } from './demo';
import { missingRunFiles } from './run-dir';
import { tempDir } from './testing';
import { RECIPES } from './recipes';

describe('lel demo --quick', () => {
  it('runs every available stage for real, chains the CCT run into the distillation teacher, and writes the report', async () => {
    const out = tempDir('demo');
    const lines: string[] = [];
    const r = await demoCommand({ out, quick: true, backend: 'wasm', log: (l) => lines.push(l) });
    const names = new Set(RECIPES.map((x) => x.name));
    const expected = demoStages(true).filter((s) => names.has(s.recipe)).map((s) => s.name);
    expect(r.summaries.map((s) => s.stage.name)).toEqual(expected);
    for (const s of r.summaries) {
      expect(missingRunFiles(path.join(out, s.stage.name))).toEqual([]);
      for (const v of Object.values(s.summary.metrics)) expect(Number.isFinite(v)).toBe(true);
    }
    const kd = r.summaries.find((s) => s.stage.name === 'kd-swa')!;
    expect(kd.summary.bestFrom).toMatch(/SWA/);
    expect(lines.some((l) => l.includes('teacher mIoU'))).toBe(true);
    expect(fs.readFileSync(r.report, 'utf8')).toContain('LEL demo');
    expect(fs.readFileSync(path.join(out, 'summary.md'), 'utf8')).toMatch(/\| cct \| CCT with 1\/8/);
    // CCT started from the encoder the arseg stage pretrained without labels.
    expect(r.summaries.find((s) => s.stage.name === 'cct')!.summary.notes.join(' ')).toMatch(/encoder initialised from .*arseg/);
    // The MIL stage and its baseline: the same recipe, with and without the information bottleneck.
    expect(r.summaries.find((s) => s.stage.name === 'mil-ib')!.summary.notes.join(' ')).toMatch(/Bernoulli-mask IB/);
    expect(r.summaries.find((s) => s.stage.name === 'clam-sb')!.summary.notes.join(' ')).toMatch(/CLAM-SB baseline/);
    expect(fs.readFileSync(path.join(out, 'summary.md'), 'utf8')).toMatch(/\| mil-ib \| .* \| bag accuracy \d\.\d{3} \(AUC/);
    // The text stages fine-tune the 4 × 256 shipped BERT; the PEFT stages keep full fine-tuning's linear head and are compared with it.
    expect(lines.some((l) => l.includes('text stages fine-tune bert-l4-h256-lel'))).toBe(true);
    for (const name of ['peft-relbitfit', 'peft-krona']) expect(r.summaries.find((s) => s.stage.name === name)!.summary.notes.join(' ')).toMatch(/linear head/);
    const summary = fs.readFileSync(path.join(out, 'summary.md'), 'utf8');
    expect(summary).toMatch(/\| peft-krona \| .* points vs finetune-full \(\d\.\d{3}; 1 seed\) \|/);
    // Every method stage against its baseline stage (one seed, said so), CCT also against the all-label ceiling.
    expect(summary).toMatch(/\| cct \| .* points vs cct-supervised \(\d\.\d{3}; 1 seed\); ceiling \(cct-all-labels\) \d\.\d{3}/);
    expect(summary).toMatch(/\| kd-swa \| .* points vs student-swa \(/);
    expect(summary).toMatch(/\| arseg \| .* points vs iic \(/);
    expect(summary).toMatch(/\| mil-ib \| .* points vs clam-sb \(/);
    expect(r.summaries.find((s) => s.stage.name === 'cct')!.summary.classNames).toEqual(['background', '0', '1', '4', '7']);
    // A second run reuses the finished stages instead of training again.
    const again = await demoCommand({ out, quick: true, backend: 'wasm', log: (l) => lines.push(l) });
    expect(again.summaries).toHaveLength(expected.length);
    expect(lines.filter((l) => l.includes('already finished')).length).toBe(expected.length);
  });
});

describe('demo: the measured effect tables', () => {
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
    fs.writeFileSync(file, JSON.stringify({ results: [result], text: [{ ...result, title: 'T', headroom: null }] }));
    expect(effectLines(file)).toEqual([
      '- X vs base: baseline 40.0 (3 seeds); x +10.0 [+10.0, +10.0] (2 seeds, better); ceiling 80.0 (counts)',
      '- T: baseline 40.0 (3 seeds); x +10.0 [+10.0, +10.0] (2 seeds, better); ceiling 80.0 (no ceiling: no claim)',
    ]);
    expect(effectLines(path.join(path.dirname(file), 'none.json'))).toEqual([]);
  });
});
