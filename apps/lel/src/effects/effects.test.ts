import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunSummary } from '../recipes/types';
import type { TrainOptions } from '../train';
import { getRecipe } from '../recipes';
import { resolveTrainConfig } from '../train';
import { effectsCommand, selectSettings } from './command';
import { armKeys, planGrid } from './grid';
import { codeVersion, readRunRecord, versionLabel } from './provenance';
import { EFFECT_SETTINGS } from './settings';
import { headroom, pairedComparison } from './stats';
import type { EffectSetting } from './types';

const toy: EffectSetting = {
  id: 'toy-1/8',
  method: 'toy',
  package: '@lel/toy',
  title: 'Toy method vs baseline',
  task: 'A toy task.',
  metric: 'miou',
  metricLabel: 'mIoU',
  chance: 'trivial',
  sets: ['data.seed={seed}'],
  quick: ['train.maxSteps=2'],
  arms: [
    { id: 'teacher', label: 'teacher', role: 'reference', recipe: 'sup', sets: ['data.labelledFraction=1', 'model.widths=[8]'] },
    { id: 'base', label: 'baseline 1/8', role: 'baseline', recipe: 'sup' },
    { id: 'method', label: 'method 1/8', role: 'method', recipe: 'kd', sets: ['teacher.run={run:teacher}'] },
    { id: 'ceil', label: 'baseline all', role: 'ceiling', recipe: 'sup', sets: ['data.labelledFraction=1'] },
    { id: 'trivial', label: 'one class', role: 'chance', from: 'base', metric: 'trivial_miou' },
  ],
  comparisons: [{ method: 'method', baseline: 'base', paper: '+5 (paper)' }],
};

describe('effects statistics', () => {
  it('pairs by seed and gives the t-interval of the mean difference', () => {
    const c = pairedComparison({ id: 'm', seeds: [0, 1, 2, 3], values: [0.5, 0.6, 0.55, 0.7] }, { id: 'b', seeds: [3, 2, 1, 0], values: [0.6, 0.5, 0.5, 0.4] }, 'p');
    expect(c.differences).toEqual([0.09999999999999998, 0.09999999999999998, 0.050000000000000044, 0.09999999999999998]);
    expect(c.meanDifference).toBeCloseTo(0.0875, 12);
    // t(0.975, 3) = 3.182446; sd of the differences = 0.025.
    expect(c.interval[0]).toBeCloseTo(0.0875 - (3.182446305284263 * 0.025) / 2, 6);
    expect(c.verdict).toBe('better');
    expect(c.wins).toBe(4);
    expect(pairedComparison({ id: 'm', seeds: [0], values: [1] }, { id: 'b', seeds: [0], values: [0] }, '').verdict).toBe('too few seeds');
  });

  it('applies the headroom rule from chance', () => {
    expect(headroom(0.1, 0.2, 0.36).counts).toBe(true); // margin 0.16 ≥ min(0.15, 0.15)
    expect(headroom(0.1, 0.2, 0.3).counts).toBe(false); // 0.10 < 0.15
    expect(headroom(0.1, 0.14, 0.21).counts).toBe(true); // 0.07 ≥ 1.5 × 0.04 = 0.06
    expect(headroom(0.1, 0.1, 0.13).counts).toBe(false); // at chance: at least 5 points
  });
});

describe('effects grid', () => {
  it('shares equal configs, orders dependencies first and substitutes seeds and run folders', () => {
    const { runs } = planGrid([toy, { ...toy, id: 'toy-1/16' }], [0, 1], '/runs', false);
    // teacher, base, method, ceil × 2 seeds; the second setting's identical arms are shared.
    expect(runs).toHaveLength(8);
    const method = runs.find((r) => r.recipe === 'kd' && r.seed === 1)!;
    const teacher = runs.find((r) => r.dir === method.needs[0]!.replace(/^/, '/runs/'))!;
    expect(runs.indexOf(teacher)).toBeLessThan(runs.indexOf(method));
    expect(method.sets).toEqual(['seed=1', 'data.seed=1', `teacher.run=${teacher.dir}`]);
    const keys = armKeys(toy, false);
    expect(keys.get('base')).not.toBe(keys.get('ceil'));
    expect(armKeys(toy, true).get('base')).not.toBe(keys.get('base')); // --quick runs never mix with full ones
    expect(() => armKeys({ ...toy, arms: [{ id: 'x', label: 'x', role: 'method', recipe: 'r', sets: ['a={run:y}'] }] }, false)).toThrow(/names no arm/);
  });

  it('selects by --methods and rejects unknown ones', () => {
    expect(selectSettings([toy], ['toy'])).toHaveLength(1);
    expect(() => selectSettings([toy], ['nope'])).toThrow(/unknown "nope"; known: toy/);
  });

  it("every arm of every shipped setting is a valid config of its recipe (full and --quick budgets)", () => {
    for (const quick of [false, true]) {
      for (const run of planGrid(EFFECT_SETTINGS, [0], '/r', quick).runs) {
        expect(() => resolveTrainConfig(getRecipe(run.recipe), { sets: run.sets }), `${run.recipe} ${run.sets.join(' ')}`).not.toThrow();
      }
    }
  });

  it('every shipped setting is well formed: roles, comparisons, chance and dependencies resolve', () => {
    for (const s of EFFECT_SETTINGS) {
      expect(s.arms.filter((a) => a.role === 'baseline'), s.id).toHaveLength(1);
      // At most one ceiling; a setting without one (unsupervised: no labels to add) says why in its notes.
      const ceilings = s.arms.filter((a) => a.role === 'ceiling');
      expect(ceilings.length, s.id).toBeLessThanOrEqual(1);
      if (ceilings.length === 0) expect(s.notes, s.id).toMatch(/no ceiling/i);
      expect(s.arms.some((a) => a.role === 'method'), s.id).toBe(true);
      const ids = new Set(s.arms.map((a) => a.id));
      for (const c of s.comparisons) expect(ids.has(c.method) && ids.has(c.baseline), `${s.id} ${c.method}`).toBe(true);
      if (typeof s.chance === 'string') expect(ids.has(s.chance), s.id).toBe(true);
      expect(() => planGrid([s], [0], '/r', true)).not.toThrow();
    }
    expect(new Set(EFFECT_SETTINGS.map((s) => s.id)).size).toBe(EFFECT_SETTINGS.length);
  });

  it("the KD settings share the teacher and the student's all-label ceiling (one run per seed), and only those", () => {
    const keys = (id: string) => armKeys(EFFECT_SETTINGS.find((s) => s.id === id)!, false);
    const k16 = keys('kd-1/16');
    const k32 = keys('kd-1/32');
    expect(k32.get('teacher')).toBe(k16.get('teacher'));
    expect(k32.get('ceiling')).toBe(k16.get('ceiling'));
    // The teacher is the CCT settings' all-label supervised run.
    expect(k32.get('teacher')).toBe(keys('cct-1/8').get('ceiling'));
    for (const arm of ['student', 'kd', 'akd', 'ckd']) expect(k32.get(arm), arm).not.toBe(k16.get(arm));
    const student = planGrid(EFFECT_SETTINGS.filter((s) => s.id === 'kd-1/32'), [0], '/r', false).runs.find((r) => r.key === k32.get('student'))!;
    expect(student.sets.join(' ')).toContain('fraction: 0.03125');
  });
});

describe('lel effects', () => {
  it('runs the grid once, reuses finished runs, and writes md, html and json', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-effects-'));
    const trained: string[] = [];
    const train = async (recipe: string, o: TrainOptions) => {
      trained.push(`${recipe} ${o.set!.join(' ')}`);
      const seed = Number(o.set!.find((s) => s.startsWith('seed='))!.slice(5));
      const all = o.set!.includes('data.labelledFraction=1');
      const miou = recipe === 'kd' ? 0.5 + 0.01 * seed : all ? 0.8 : 0.3 + 0.02 * seed;
      const summary = { recipe, package: '@lel/toy', task: 'segmentation', metrics: { miou, trivial_miou: 0.1 }, params: { total: 1, trainable: 1 }, steps: 2, stopReason: 'maxSteps', wallSeconds: 1, bestFrom: '', notes: [] } as RunSummary;
      fs.mkdirSync(o.out!, { recursive: true });
      fs.writeFileSync(path.join(o.out!, 'summary.json'), JSON.stringify(summary));
      fs.writeFileSync(path.join(o.out!, 'metrics.jsonl'), `${JSON.stringify({ type: 'eval', step: 2, epoch: 0, miou })}\n`);
      return { runDir: o.out!, summary, interrupted: false, backend: 'cpu' };
    };
    const r = await effectsCommand({ settings: [toy], seeds: [0, 1, 2], out, docs: out, textRuns: path.join(out, 'no-text'), train, log: () => {} });
    expect(trained).toHaveLength(12);
    // Every trained run records the code it was trained with: this checkout's commit, the package versions, the backend.
    const ceilDirs = r.results[0]!.arms.find((a) => a.id === 'ceil')!.runs;
    const record = readRunRecord(ceilDirs[0]!)!;
    // Where git cannot read this checkout (no git, a foreign owner), the versions alone are recorded.
    const head = (() => {
      try {
        return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: __dirname, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      } catch {
        return undefined;
      }
    })();
    expect(record.provenance).toMatchObject({ backend: 'cpu', packages: { '@lel/core': expect.stringMatching(/^\d+\.\d+\.\d+/) } });
    expect(record.provenance!.commit).toBe(head);
    expect(typeof record.provenance!.dirty).toBe(head === undefined ? 'undefined' : 'boolean');
    expect(new Date(record.provenance!.finishedAt!).toISOString()).toBe(record.provenance!.finishedAt);
    const version = versionLabel(codeVersion());
    expect(r.results[0]!.codeVersions).toEqual([{ version, arms: ['teacher', 'base', 'method', 'ceil'].map((id) => ({ id, seeds: [0, 1, 2] })), runs: 12 }]);
    expect(r.markdown).not.toContain('Runs from'); // one recorded version: nothing to flag
    const res = r.results[0]!;
    expect(res.arms.find((a) => a.id === 'trivial')!.mean).toBeCloseTo(0.1, 12);
    expect(res.comparisons[0]!.meanDifference).toBeCloseTo(0.5 + 0.01 - 0.3 - 0.02, 12);
    expect(res.headroom!.counts).toBe(true);
    expect(r.markdown).toContain('| method 1/8 − baseline 1/8 | +19.0 | [');
    expect(fs.readFileSync(path.join(out, 'effects.html'), 'utf8')).toContain('<svg');
    expect(JSON.parse(fs.readFileSync(path.join(out, 'effects.json'), 'utf8')).results[0].id).toBe('toy-1/8');
    await effectsCommand({ settings: [toy], seeds: [0, 1, 2], out, docs: out, textRuns: path.join(out, 'no-text'), train, log: () => {} });
    expect(trained).toHaveLength(12);
    // A partial grid (seed 2 of the method missing) says so and pairs only the seeds both arms have.
    fs.rmSync(path.join(r.results[0]!.arms.find((a) => a.id === 'method')!.runs[2]!, 'summary.json'));
    const partial = await effectsCommand({ settings: [toy], seeds: [0, 1, 2], out, docs: out, textRuns: path.join(out, 'no-text'), reportOnly: true, train, log: () => {} });
    expect(trained).toHaveLength(12);
    expect(partial.results[0]!.comparisons[0]!.seeds).toEqual([0, 1]);
    expect(partial.markdown).toContain('(2 of 3 seeds)');
    // Runs reused from older code stay in the tables, but the setting says which versions its runs come from.
    const { provenance: _dropped, ...unrecorded } = readRunRecord(ceilDirs[0]!)!;
    fs.writeFileSync(path.join(ceilDirs[0]!, 'effects-run.json'), JSON.stringify(unrecorded));
    const older = readRunRecord(ceilDirs[1]!)!;
    fs.writeFileSync(path.join(ceilDirs[1]!, 'effects-run.json'), JSON.stringify({ ...older, provenance: { ...older.provenance, commit: 'ebbaca7'.padEnd(40, '0'), dirty: false } }));
    const mixed = await effectsCommand({ settings: [toy], seeds: [0, 1, 2], out, docs: out, textRuns: path.join(out, 'no-text'), reportOnly: true, train, log: () => {} });
    expect(trained).toHaveLength(12);
    expect(mixed.markdown).toContain(
      `Runs from 3 code versions: ${version} (arms teacher · baseline 1/8 · method 1/8 · baseline all: seed 2); not recorded (arms baseline all: seed 0); ebbaca7 (arms baseline all: seed 1).`,
    );
    const json = JSON.parse(fs.readFileSync(path.join(out, 'effects.json'), 'utf8')) as { results: { arms: { id: string; versions: string[]; provenance: ({ provenance: { commit: string } } | null)[] }[] }[] };
    const ceilJson = json.results[0]!.arms.find((a) => a.id === 'ceil')!;
    expect(ceilJson.versions).toEqual(['not recorded', 'ebbaca7', version]);
    expect(ceilJson.provenance[0]).toBeNull();
    expect(ceilJson.provenance[2]!.provenance.commit).toBe(head);
    expect(fs.readFileSync(path.join(out, 'effects.html'), 'utf8')).toContain('Runs from 3 code versions');
    // The text tables come from their committed result stores, selected by --methods like the vision ones.
    const withText = await effectsCommand({ settings: [toy], seeds: [0, 1, 2], out, docs: out, textRuns: path.join(__dirname, '../../../../docs/text-effects-runs'), methods: ['toy', 'peft'], reportOnly: true, log: () => {} });
    expect(withText.markdown).toContain('## Text (#20)');
    expect(withText.markdown).toContain('### PEFT vs full fine-tuning, N = 16 per class');
    expect(withText.markdown).toContain('### PEFT at a glance: test accuracy against trainable parameters');
    expect(withText.markdown).not.toContain('VIB (VIBERT) vs');
    expect(() => selectSettings([toy], ['peft'], ['peft'])).not.toThrow();
    expect(partial.markdown).toMatch(/\| method 1\/8 − baseline 1\/8 \| \+\d+\.\d \| \[[^\]]+\] \| 2\/2 \|/);
  });
});
