import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../recipes/types';
import type { TrainOptions } from '../train';
import { effectsCommand } from './command';
import { DEV_LOG, devScore, planDevRuns } from './dev-sweep';
import { planGrid } from './grid';
import { RUN_RECORD } from './provenance';
import { EFFECT_SETTINGS } from './settings';

const REPORTED = [0, 1, 2, 3, 4];
const SWA = EFFECT_SETTINGS.find((s) => s.id === 'swa-1/8')!;

describe('dev sweeps: plan', () => {
  const runs = planDevRuns(EFFECT_SETTINGS, '/r', REPORTED);

  it('plans every declared variant once, at the dev seed, never at a reported seed', () => {
    // CCT w 3/10/30 + supervised; SWA lr 0.01/0.025/0.05/0.1 + last iterate; SCL λ_sp and λ_gl 0.5/1/2 + CE (shared by both sweeps).
    expect(runs.map((r) => path.relative('/r/dev', path.dirname(r.dir))).sort()).toEqual(
      [
        ...['cct-w3', 'cct-w10', 'cct-w30', 'supervised-base'].map((d) => `cct-1_8/${d}`),
        ...['swa-lr0.01', 'swa-lr0.025', 'swa-lr0.05', 'swa-lr0.1', 'last-base'].map((d) => `swa-1_8/${d}`),
        ...['sc-l0.5', 'sc-l1', 'sc-l2', 'gc-l0.5', 'gc-l1', 'gc-l2', 'ce-base'].map((d) => `scl-1shot/${d}`),
      ].sort(),
    );
    for (const r of runs) {
      expect(REPORTED).not.toContain(r.seed);
      expect(r.sets).toContain(`seed=${r.seed}`);
      expect(r.sets).toContain(`data.seed=${r.seed}`);
      expect(r.sets.filter((s) => /^(data\.)?seed=/.test(s)).every((s) => s.endsWith(`=${r.seed}`))).toBe(true);
    }
  });

  it("runs the arm's exact grid config plus the variant's overrides", () => {
    const grid = planGrid([SWA], [100], '/r', false);
    const swaArm = grid.runs.find((r) => r.key === grid.keys.get('swa-1/8')!.get('swa'))!;
    const lr = runs.find((r) => r.dir === '/r/dev/swa-1_8/swa-lr0.025/seed100')!;
    expect(lr.sets).toEqual([...swaArm.sets, 'swa.lr=0.025']);
    expect(lr.recipe).toBe('cct-supervised');
  });

  it('refuses a dev seed that is a reported seed', () => {
    expect(() => planDevRuns([SWA], '/r', [0, 100])).toThrow(/dev seed 100 is a reported seed/);
  });
});

describe('dev sweeps: scores', () => {
  it('reads the best or last eval row, the summary metric and the last SWA averaged-weights line', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-dev-score-'));
    expect(devScore(dir, 'best-eval', 'miou')).toBeNull(); // not finished
    fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({ metrics: { miou: 0.9 } }));
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), [0.3, 0.5, 0.4].map((miou, i) => JSON.stringify({ type: 'eval', step: i, miou })).join('\n') + '\n' + JSON.stringify({ type: 'train', step: 3, miou: 0.99 }) + '\n');
    expect(devScore(dir, 'best-eval', 'miou')).toBe(0.5);
    expect(devScore(dir, 'last-eval', 'miou')).toBe(0.4);
    expect(devScore(dir, 'summary', 'miou')).toBe(0.9);
    expect(devScore(dir, 'swa-averaged', 'miou')).toBeNull();
    fs.writeFileSync(path.join(dir, DEV_LOG), '[swa] averaged weights (4 models): miou=0.6100, pixelAccuracy=0.9\n[swa] averaged weights (12 models): miou=0.4669, pixelAccuracy=0.9169\n');
    expect(devScore(dir, 'swa-averaged', 'miou')).toBe(0.4669);
  });
});

describe('lel effects --dev', () => {
  it('trains the sweep once, picks the dev winner, and says loudly when the setting does not use it', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-effects-dev-'));
    const dev: Record<string, number> = { 'swa.lr=0.01': 0.4, 'swa.lr=0.025': 0.41, 'swa.lr=0.05': 0.47, 'swa.lr=0.1': 0.45 };
    const trained: string[] = [];
    const train = async (recipe: string, o: TrainOptions) => {
      trained.push(o.out!);
      const lr = o.set!.filter((s) => s.startsWith('swa.lr=')).at(-1);
      const swa = o.set!.includes('swa.enabled=true');
      // The reference (last iterate) is the best of all and the test score is higher still: neither may decide.
      const summary = { recipe, metrics: { miou: 0.95 }, wallSeconds: 1 } as unknown as RunSummary;
      fs.mkdirSync(o.out!, { recursive: true });
      fs.writeFileSync(path.join(o.out!, 'summary.json'), JSON.stringify(summary));
      fs.writeFileSync(path.join(o.out!, 'metrics.jsonl'), [0.6, 0.5].map((miou, i) => JSON.stringify({ type: 'eval', step: i, miou })).join('\n') + '\n');
      if (swa) o.log?.(`[swa] averaged weights (12 models): miou=${dev[lr!]!.toFixed(4)}, pixelAccuracy=0.9`);
      return { runDir: o.out!, summary, interrupted: false, backend: 'cpu' };
    };
    const opts = { settings: [SWA], dev: true, out, docs: out, textRuns: path.join(out, 'no-text'), train, log: () => {} };
    const r = await effectsCommand(opts);
    expect(trained).toHaveLength(5);
    const sweep = r.dev![0]!;
    expect(sweep.rows.map((x) => x.score)).toEqual([0.4, 0.41, 0.47, 0.45, 0.5]);
    expect(sweep.winner).toBe('lr0.05');
    expect(sweep.settingValue).toBe('lr0.1');
    expect(sweep.verdict).toBe('MISMATCH');
    expect(fs.readFileSync(path.join(out, 'effects-dev.md'), 'utf8')).toContain('MISMATCH: the setting uses lr0.1, but the dev winner is lr0.05');

    // Resumable: finished runs are reused; with lr 0.1 on top the setting agrees.
    const lr05 = path.join(out, 'dev', 'swa-1_8', 'swa-lr0.05', 'seed100');
    fs.writeFileSync(path.join(lr05, DEV_LOG), '[swa] averaged weights (12 models): miou=0.4400, pixelAccuracy=0.9\n');
    const again = await effectsCommand(opts);
    expect(trained).toHaveLength(5);
    expect(again.dev![0]!.winner).toBe('lr0.1');
    expect(again.dev![0]!.verdict).toBe('agrees');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'effects-dev.json'), 'utf8')).sweeps[0].verdict).toBe('agrees');

    // A folder that holds another config is neither scored nor reused, and blocks training.
    const record = JSON.parse(fs.readFileSync(path.join(lr05, RUN_RECORD), 'utf8'));
    fs.writeFileSync(path.join(lr05, RUN_RECORD), JSON.stringify({ ...record, sets: [...record.sets, 'swa.every=50'] }));
    const report = await effectsCommand({ ...opts, reportOnly: true });
    expect(report.dev![0]!.rows[2]!.status).toBe('config differs');
    expect(report.dev![0]!.verdict).toBe('incomplete');
    await expect(effectsCommand(opts)).rejects.toThrow(/swa-lr0\.05\/seed100 already holds another config/);

    // A missing run is "not run", never a score.
    fs.rmSync(path.join(out, 'dev', 'swa-1_8', 'swa-lr0.01'), { recursive: true });
    const partial = await effectsCommand({ ...opts, reportOnly: true });
    expect(partial.dev![0]!.rows[0]).toMatchObject({ status: 'not run', score: null });
    expect(partial.markdown).toContain('| swa-lr0.01 | swa | `swa.lr=0.01` | not run |  | — |');
  });
});
