import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { demoCommand, demoStages } from './demo';
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
    expect(fs.readFileSync(path.join(out, 'summary.md'), 'utf8')).toMatch(/\| peft-krona \| .* points vs finetune-full \(1 seed\) \|/);
    // A second run reuses the finished stages instead of training again.
    const again = await demoCommand({ out, quick: true, backend: 'wasm', log: (l) => lines.push(l) });
    expect(again.summaries).toHaveLength(expected.length);
    expect(lines.filter((l) => l.includes('already finished')).length).toBe(expected.length);
  });
});
