import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../testing';
import { effectsCommand } from './command';
import { readRunRecord } from './provenance';
import { EFFECT_SETTINGS } from './settings';

describe('lel effects --quick (every shipped setting, real recipes, one seed)', () => {
  it('trains every arm through the recipes, writes the tables, and reuses the runs when run again', async () => {
    const out = tempDir('effects-quick');
    const lines: string[] = [];
    const common = { quick: true, seeds: [0], out, textRuns: path.join(out, 'no-text-runs'), backend: 'wasm', log: (l: string) => lines.push(l) };
    const r = await effectsCommand(common);
    expect(r.results.map((x) => x.id)).toEqual(EFFECT_SETTINGS.map((s) => s.id));
    for (const res of r.results) {
      for (const arm of res.arms) {
        // Every arm (trained or read from another arm's run) has its seed, with a score in [0, 1].
        expect(arm.seeds, `${res.id} ${arm.id}`).toEqual([0]);
        expect(arm.values[0]).toBeGreaterThanOrEqual(0);
        expect(arm.values[0]).toBeLessThanOrEqual(1);
      }
      // One seed gives no interval, and the tables say so rather than claim anything.
      for (const c of res.comparisons) expect(c.verdict).toBe('too few seeds');
      // The headroom rule needs a ceiling (the unsupervised AR-seg setting has none: no labels to add).
      if (EFFECT_SETTINGS.find((s) => s.id === res.id)!.arms.some((a) => a.role === 'ceiling')) expect(res.headroom, res.id).not.toBeNull();
    }
    // The KD students distil from the seed's all-label supervised run (the CCT ceiling), trained once for both settings.
    const kd = r.results.find((x) => x.id === 'kd-1/16')!;
    const cct = r.results.find((x) => x.id === 'cct-1/8')!;
    expect(kd.arms.find((a) => a.id === 'teacher')!.runs).toEqual(cct.arms.find((a) => a.id === 'ceiling')!.runs);
    expect(kd.extra.kd!.teacher_miou).toBeGreaterThan(0);
    // SWA's ceiling is that same all-label run; the SCL tables share one set of runs (their ceilings are the CE run's extra shots).
    expect(r.results.find((x) => x.id === 'swa-1/8')!.arms.find((a) => a.id === 'ceiling')!.runs).toEqual(cct.arms.find((a) => a.id === 'ceiling')!.runs);
    const scl1 = r.results.find((x) => x.id === 'scl-1shot')!;
    const scl5 = r.results.find((x) => x.id === 'scl-5shot')!;
    expect(scl5.arms.find((a) => a.id === 'sc')!.runs).toEqual(scl1.arms.find((a) => a.id === 'sc')!.runs);
    expect(kd.extra.student!.teacher_miou).toBeUndefined();
    expect(r.markdown).toContain('--quick: smoke-test budgets, not results');
    for (const f of ['effects.md', 'effects.html', 'effects.json']) expect(fs.existsSync(path.join(out, f)), f).toBe(true);
    expect(fs.readFileSync(path.join(out, 'effects.html'), 'utf8')).toContain('<svg');
    // Each trained run records the backend `lel train` actually used and when it finished.
    expect(readRunRecord(cct.arms.find((a) => a.id === 'ceiling')!.runs[0]!)!.provenance).toMatchObject({ backend: 'wasm', finishedAt: expect.any(String) });

    lines.length = 0;
    await effectsCommand(common);
    expect(lines.some((l) => / 0 to run$/.test(l))).toBe(true);
  });
});
