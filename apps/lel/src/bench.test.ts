import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { BENCH_SUITES, benchCommand } from './bench';
import { RECIPES } from './recipes';
import { tempDir } from './testing';

describe('lel bench', () => {
  it('every suite names existing recipes', () => {
    const names = new Set(RECIPES.map((r) => r.name));
    for (const [suite, s] of Object.entries(BENCH_SUITES)) for (const arm of s.arms) expect(names.has(arm.recipe), `${suite}/${arm.label}: ${arm.recipe}`).toBe(true);
  });

  it('runs each arm over seeds and writes a markdown table, JSON and a comparison report (tiny)', async () => {
    const dir = tempDir('bench');
    const r = await benchCommand('cct', {
      seeds: [0, 1],
      out: dir,
      backend: 'wasm',
      log: () => {},
      set: ['data.labelled.n=16', 'data.labelled.heldOut=4', 'train.maxSteps=2', 'train.evalEvery=2'],
    });
    expect(r.rows.map((x) => x.label)).toEqual(['cct', 'supervised']);
    for (const row of r.rows) {
      expect(row.runs).toHaveLength(2);
      expect(row.metrics.miou!.values).toHaveLength(2);
      expect(Number.isFinite(row.metrics.miou!.mean)).toBe(true);
      expect(row.metrics.miou!.halfWidth).toBeGreaterThanOrEqual(0);
    }
    expect(r.markdown).toMatch(/\| cct \| cct \| [\d,]+ \| 0\.\d{4} ± 0\.\d{4} \|/);
    const json = JSON.parse(fs.readFileSync(path.join(dir, 'bench.json'), 'utf8'));
    expect(json.seeds).toEqual([0, 1]);
    expect(fs.readFileSync(path.join(dir, 'bench.md'), 'utf8')).toBe(r.markdown + '\n');
    expect(fs.existsSync(path.join(dir, 'report.html'))).toBe(true);
    // Seeds really differ (different labelled splits and initialisations).
    const s0 = JSON.parse(fs.readFileSync(path.join(dir, 'cct-seed0', 'summary.json'), 'utf8'));
    const s1 = JSON.parse(fs.readFileSync(path.join(dir, 'cct-seed1', 'summary.json'), 'utf8'));
    expect(s0.metrics.miou).not.toBe(s1.metrics.miou);
  });
});
