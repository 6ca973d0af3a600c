import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../testing';
import { ResultStore } from './result-store';
import { peftOverviewMarkdown, textSettingMarkdown, textSettings, textTablesMarkdown } from './text-tables';

const score = (accuracy: number, loss: number) => ({ accuracy, loss });

/** A result store under `dir` with the given rows (what run-grid.ts writes). */
function store(dir: string, name: string, rows: Record<string, unknown>[]): void {
  const s = new ResultStore(path.join(dir, `${name}.jsonl`));
  for (const r of rows) s.add(r as { key: string });
}

function peftRow(arm: string, n: number | 'all', seed: number, acc: number, trainable = 6_000_000): Record<string, unknown> {
  return { key: n === 'all' ? `peft/ceiling/all/s${seed}` : `peft/${arm}/n${n}/s${seed}`, arm, perClass: n, seed, lr: 3e-4, test: score(acc, 0.9), train: score(1, 0.1), trainable, all: 6_000_000, adapterBytes: 4 * trainable, seconds: 10, backend: 'wasm' };
}

describe('text-effects tables', () => {
  it('pairs arms by seed, applies the headroom rule and reads SWA/VIB/KD stores into three-row settings', () => {
    const dir = tempDir('text-tables');
    // full FT at N = 16: seeds 0..4; BitFit has seeds 4..0 in another order plus a seed full FT lacks (dropped from the pairing).
    const full = [0.6, 0.58, 0.62, 0.59, 0.61];
    const bitfit = [0.55, 0.57, 0.6, 0.56, 0.6, 0.7];
    store(dir, 'peft', [
      ...full.map((a, s) => peftRow('full', 16, s, a)),
      ...[5, 4, 3, 2, 1, 0].map((s) => peftRow('bitfit', 16, s, bitfit[s]!, 12_000)),
      peftRow('full', 'all', 0, 0.8),
    ]);
    store(dir, 'vib', full.map((a, s) => ({ key: `vib/vib/n16/s${s}`, lr: 3e-4, test: score(a + 0.01, 0.7), train: score(0.9, 0.3), gap: 0.4, seconds: 12 })));
    store(dir, 'swa', [0, 1].map((s) => ({ key: `swa/n16/s${s}`, lr: 3e-4, last: { test: score(0.6, 1), train: score(1, 0) }, swa: { test: score(s === 0 ? 0.62 : 0.58, 0.8), train: score(1, 0), models: 12 }, ema: { test: score(0.6, 0.9), train: score(1, 0), models: 25 }, seconds: 20 })));

    const results = textSettings(dir);
    expect(results.map((r) => r.id)).toEqual(['peft-n16', 'vib-n16', 'swa-n16']);

    const peft = results[0]!;
    expect(peft.arms.map((a) => [a.id, a.role])).toEqual([
      ['full', 'baseline'],
      ['bitfit', 'method'],
      ['ceiling', 'ceiling'],
    ]);
    const c = peft.comparisons[0]!;
    expect(c.seeds).toEqual([0, 1, 2, 3, 4]);
    const diffs = [0, 1, 2, 3, 4].map((s) => bitfit[s]! - full[s]!);
    expect(c.differences).toEqual(diffs);
    expect(c.meanDifference).toBeCloseTo(-0.024, 12);
    expect(c.interval[1]).toBeLessThan(0);
    expect(c.verdict).toBe('worse');
    // ceiling 0.80 vs baseline 0.60: margin 0.20 ≥ min(1.5 × 0.10, 0.15)
    expect(peft.headroom!.counts).toBe(true);
    expect(peft.extra.bitfit!.trainable).toBe(12_000);

    const vib = results[1]!;
    expect(vib.comparisons[0]!.meanDifference).toBeCloseTo(0.01, 12);
    expect(vib.notes).not.toContain('KL weight');
    // With the β sweep's store, the VIB notes give its dev scores.
    store(dir, 'vib-sweep', [1e-5, 1e-3].map((beta, i) => ({ key: `vib-sweep/vib/n16/s100/beta${beta}`, beta, dev: score(i === 0 ? 0.553 : 0.5, 0.69) })));
    expect(textSettings(dir)[1]!.notes).toContain("VIB's KL weight on the dev split (N = 16, seed 100, linear annealing): β 1e-5: 55.3% (CE 0.690), β 1e-3: 50.0% (CE 0.690); the rows use the best.");
    expect(vib.notes).toMatch(/full FT 0\.800, VIB 0\.400; paired difference -0\.400 .*\(VIB lowers it\)/);

    const swa = results[2]!;
    expect(swa.arms.map((a) => a.id)).toEqual(['last', 'swa', 'ema', 'full-linear', 'ceiling']);
    expect(swa.notes).toMatch(/Test cross-entropy, SWA vs last iterate: last iterate 1\.000, SWA 0\.800; paired difference -0\.200/);
    expect(swa.comparisons.map((x) => [x.method, x.seeds.length, x.verdict])).toEqual([
      ['swa', 2, 'no clear difference'],
      ['ema', 2, 'no clear difference'],
    ]);

    const md = textTablesMarkdown(results, { command: 'cmd', date: 'd', machine: 'm', backend: 'wasm' });
    expect(md).toContain('| bitfit − full FT, N = 16 | −2.4 |');
    expect(md).toContain('**the setting counts**');
    expect(md).toContain('12.0 k (0.20%)');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pairs the distillation arms with the same-batch no-KD run and compares Continuation-KD with KD', () => {
    const dir = tempDir('text-tables');
    store(dir, 'peft', [...[0, 1, 2].map((s) => peftRow('full', 16, s, 0.6)), peftRow('full', 'all', 0, 0.85)]);
    const acc: Record<string, number[]> = { none: [0.6, 0.61, 0.59], kd: [0.65, 0.66, 0.63], 'continuation-kd': [0.68, 0.7, 0.64] };
    store(dir, 'kd', Object.entries(acc).flatMap(([m, v]) => v.map((a, s) => ({ key: `kd/${m}/n16/s${s}`, lr: 3e-4, test: score(a, 0.6), train: score(1, 0.2), seconds: 30 }))));
    const kd = textSettings(dir).find((r) => r.id === 'kd-n16')!;
    expect(kd.arms.map((a) => [a.id, a.role])).toEqual([
      ['none', 'baseline'],
      ['kd', 'method'],
      ['continuation-kd', 'method'],
      ['teacher', 'reference'],
      ['ceiling', 'ceiling'],
    ]);
    expect(kd.comparisons.map((c) => [c.method, c.baseline])).toEqual([
      ['kd', 'none'],
      ['continuation-kd', 'none'],
      ['continuation-kd', 'kd'],
    ]);
    expect(kd.comparisons[2]!.differences.map((d) => +d.toFixed(6))).toEqual([0.03, 0.04, 0.01]);
    expect(kd.headroom!.baseline).toBeCloseTo(0.6, 12);
    // The reduced grid names what ran in the title and what did not in the notes.
    expect(kd.title).toBe('KD / Continuation-KD vs no KD, N = 16 per class');
    expect(kd.notes).toContain('Not run at this N: Annealing-KD.');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('compares the PEFT methods with each other as their papers order them, besides each with full FT', () => {
    const dir = tempDir('text-tables');
    const acc: Record<string, number[]> = { full: [0.7, 0.72, 0.71], bitfit: [0.6, 0.62, 0.61], lora: [0.66, 0.69, 0.67], krona: [0.65, 0.66, 0.66], 'krona-b': [0.66, 0.75, 0.66] };
    store(dir, 'peft', [...Object.entries(acc).flatMap(([arm, v]) => v.map((a, s) => peftRow(arm, 64, s, a))), peftRow('full', 'all', 0, 0.85)]);
    const peft = textSettings(dir).find((r) => r.id === 'peft-n64')!;
    // Pairs whose arms did not run (RelBitFit, KronA^B_res) are left out.
    expect(peft.comparisons.map((c) => `${c.method}−${c.baseline}`)).toEqual(['bitfit−full', 'krona−full', 'krona-b−full', 'lora−full', 'lora−bitfit', 'krona−lora', 'krona-b−krona']);
    const loraBitfit = peft.comparisons.find((c) => c.method === 'lora' && c.baseline === 'bitfit')!;
    expect(loraBitfit.differences.map((d) => +d.toFixed(6))).toEqual([0.06, 0.07, 0.06]);
    expect(loraBitfit.paper).toContain('LoRA 85.73 vs BitFit 84.17');
    expect(peft.comparisons.find((c) => c.method === 'krona-b')!.paper).toContain('KronA^B: T5-base GLUE 86.28 vs 85.65');
    expect(textSettingMarkdown(peft)).toContain('| lora − bitfit | +6.3 |');
    // The overview puts accuracy beside trainable parameters, one column per N that ran.
    const overview = peftOverviewMarkdown(textSettings(dir));
    expect(overview).toContain('| arm | trainable | adapter bytes | N = 64 |');
    expect(overview).toContain('| full FT | 6.00 M (100%) | 24.00 M | 71.0 (3 seeds) |');
    expect(overview).toContain('| bitfit | 6.00 M (100%) | 24.00 M | 61.0, **−10.0 [−10.0, −10.0]** |');
    expect(overview).toMatch(/\| lora \| [^|]+ \| [^|]+ \| 67\.3, \*\*−3\.7 \[−5\.1, −2\.2\]\*\* \|/);
    expect(overview).toMatch(/\| krona-b \| [^|]+ \| [^|]+ \| 69\.0, −2\.0 \[−12\.8, \+8\.8\] \|/);
    expect(overview).toContain('Headroom (ceiling − full FT): N = 64: +14.0 points, **no claim**.');
    expect(peftOverviewMarkdown([])).toBe('');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('pairs the longer runs of the underfitting check with each other and with the table rows of the same arm and seed', () => {
    const dir = tempDir('text-tables');
    const acc: Record<string, number[]> = { full: [0.7, 0.72, 0.71], bitfit: [0.6, 0.62, 0.61], lora: [0.66, 0.69, 0.67] };
    store(dir, 'peft', [...Object.entries(acc).flatMap(([arm, v]) => v.map((a, s) => peftRow(arm, 64, s, a))), peftRow('full', 'all', 0, 0.85)]);
    const long: Record<string, number[]> = { full: [0.71, 0.72, 0.72], bitfit: [0.66, 0.69, 0.66], lora: [0.7, 0.7, 0.69] };
    store(dir, 'peft-long', Object.entries(long).flatMap(([arm, v]) => v.map((a, s) => ({ ...peftRow(arm, 64, s, a), key: `peft-long/${arm}/n64/s${s}`, epochs: 36 }))));
    const results = textSettings(dir);
    expect(results.map((r) => r.id)).toEqual(['peft-n64', 'peft-long-n64']);
    const r = results[1]!;
    expect(r.arms.map((a) => [a.id, a.role])).toEqual([
      ['full-long', 'baseline'],
      ['bitfit-long', 'method'],
      ['lora-long', 'method'],
      ['full', 'reference'],
      ['bitfit', 'reference'],
      ['lora', 'reference'],
      ['ceiling', 'ceiling'],
    ]);
    expect(r.comparisons.map((c) => `${c.method}−${c.baseline}`)).toEqual(['bitfit-long−full-long', 'lora-long−full-long', 'full-long−full', 'bitfit-long−bitfit', 'lora-long−lora']);
    expect(r.comparisons[3]!.differences.map((d) => +d.toFixed(6))).toEqual([0.06, 0.07, 0.05]);
    expect(r.headroom!.baseline).toBeCloseTo(0.7167, 3);
    // The overview lists the table's N only, not the check.
    expect(peftOverviewMarkdown(results)).toContain('| arm | trainable | adapter bytes | N = 64 |\n');
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it('makes no headroom claim without a ceiling and counts no setting whose ceiling is not clearly above the baseline', () => {
    const dir = tempDir('text-tables');
    store(dir, 'peft', [0, 1].map((s) => peftRow('full', 16, s, 0.6)));
    expect(textSettingMarkdown(textSettings(dir)[0]!)).toContain('no ceiling run yet, so **no claim**');
    store(dir, 'peft', [peftRow('full', 'all', 0, 0.66)]);
    const r = textSettings(dir)[0]!;
    expect(r.headroom!.counts).toBe(false);
    expect(textSettingMarkdown(r)).toContain('**the setting does not count**');
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
