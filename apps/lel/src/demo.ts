import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '@lel/core/node';
import { pretrainedBertPath, type ShippedBert } from '@lel/models/node';
import type { RunSummary } from './recipes/types';
import { repoRoot } from './effects/repo-root';
import type { ConfigTree } from './config/overrides';
import { armKeys, planGrid } from './effects/grid';
import { EFFECT_SETTINGS } from './effects/settings';
import type { EffectSetting, SettingResult } from './effects/types';
import { getRecipe, RECIPES } from './recipes';
import { writeRunReport } from './report';
import { readSummary, RUN_FILES } from './run-dir';
import { INTERRUPTED_EXIT_CODE } from './signals';
import { runLocalSweep } from './sweep/local-pool';
import type { PlannedRun } from './sweep/plan';
import { runId } from './sweep/run-id';
import { resolveTrainConfig } from './train';

/** One stage of the demo: a recipe run with its overrides (some point at earlier stages' runs). */
export interface DemoStage {
  /** Folder name under the demo's output folder. */
  name: string;
  recipe: string;
  story: string;
  /** `lel train <recipe> --set …` overrides (paths to other stages are absolute). */
  sets: string[];
  /** Stages whose runs this one reads (a distillation's teacher): it starts once they finished. */
  after?: string[];
  /** The stage this one is compared with in the summary (same data, budget and seed: one paired seed). */
  baseline?: string;
  /** The all-label run of the baseline (the ceiling: how much labels could still give), when the demo runs one. */
  ceiling?: string;
  /** The effect settings' arms this stage is seed 0 of (src/effects/settings.ts; arms with one config share a stage). */
  effects?: { setting: string; arm: string }[];
}

/**
 * The effect settings the demo runs seed 0 of, and which of their arms (every arm is the table's own config:
 * src/effects/settings.ts). The kd-1/32 teacher is the all-label supervised run, the cct-1/8 ceiling: one stage.
 * Left out for the budget: the cct-1/16 and swa-1/8 settings, Annealing-KD, Continuation-KD, the all-label student and
 * SCL (one SCL run takes longer than the whole demo).
 */
export const DEMO_EFFECTS: readonly { setting: string; arms: readonly string[] }[] = [
  { setting: 'cct-1/8', arms: ['supervised', 'cct', 'ceiling'] },
  { setting: 'kd-1/32', arms: ['teacher', 'student', 'kd'] },
  { setting: 'arseg-fg', arms: ['iic', 'ac'] },
];

/** The demo's part of each setting of {@link DEMO_EFFECTS}: its arms, and the comparisons among them. */
export function demoEffectSettings(settings: readonly EffectSetting[] = EFFECT_SETTINGS): EffectSetting[] {
  return DEMO_EFFECTS.map(({ setting, arms }) => {
    const s = settings.find((x) => x.id === setting);
    if (!s) throw new Error(`demo: no effect setting "${setting}" in src/effects/settings.ts`);
    for (const a of arms) if (!s.arms.some((x) => x.id === a && x.recipe)) throw new Error(`demo: effect setting ${setting} has no trained arm "${a}"`);
    return { ...s, arms: s.arms.filter((a) => arms.includes(a.id)), comparisons: s.comparisons.filter((c) => arms.includes(c.method) && arms.includes(c.baseline)) };
  });
}

/** A stage's folder name for an effect arm: `cct-1-8-supervised`. */
function effectStageName(setting: string, arm: string): string {
  return `${setting.replace(/[^A-Za-z0-9._-]+/g, '-')}-${arm}`;
}

/**
 * Seed 0 of the demo's effect settings as stages: each arm's config exactly as `lel effects` runs it (planGrid with
 * seed 0; `--quick` adds the settings' quick budgets), in readable folders under `out`. Arms with one config (the
 * cct-1/8 ceiling is the kd-1/32 teacher) are one stage.
 */
export function effectStages(quick: boolean, out: string, settings: readonly EffectSetting[] = demoEffectSettings()): DemoStage[] {
  const root = path.resolve(out);
  const nameOf = new Map<string, string>();
  const armsOf = new Map<string, { setting: EffectSetting; arm: string }[]>();
  const keysOf = new Map(settings.map((s) => [s.id, armKeys(s, quick)]));
  for (const s of settings) {
    for (const [arm, key] of keysOf.get(s.id)!) {
      if (!nameOf.has(key)) nameOf.set(key, effectStageName(s.id, arm));
      armsOf.set(key, [...(armsOf.get(key) ?? []), { setting: s, arm }]);
    }
  }
  const { runs } = planGrid(settings, [0], root, quick, (key) => path.join(root, nameOf.get(key)!));
  const stageOfArm = (s: EffectSetting, arm: string) => nameOf.get(keysOf.get(s.id)!.get(arm)!)!;
  return runs.map((run) => {
    const uses = armsOf.get(run.key)!;
    const { setting, arm } = uses[0]!;
    const label = (u: { setting: EffectSetting; arm: string }) => u.setting.arms.find((a) => a.id === u.arm)!.label;
    const also = uses.slice(1).map((u) => `; also ${u.setting.id}'s ${label(u)}`).join('');
    const comparison = setting.comparisons.find((c) => c.method === arm);
    const ceiling = setting.arms.find((a) => a.role === 'ceiling');
    return {
      name: nameOf.get(run.key)!,
      recipe: run.recipe,
      story: `${label(uses[0]!)} (${setting.id}: ${setting.title}${also})`,
      sets: run.sets,
      ...(run.needs.length > 0 ? { after: run.needs.map((n) => nameOf.get(n.slice(0, n.lastIndexOf('/')))!) } : {}),
      ...(comparison ? { baseline: stageOfArm(setting, comparison.baseline), ...(ceiling ? { ceiling: stageOfArm(setting, ceiling.id) } : {}) } : {}),
      effects: uses.map((u) => ({ setting: u.setting.id, arm: u.arm })),
    };
  });
}

/** The BERT every text stage fine-tunes: the 4 × 256 encoder shipped with @lel/models (MLM + NSP on the offline corpora). */
export const DEMO_BERT: ShippedBert = 'bert-l4-h256-lel';

/**
 * The demo's stages, in the summary's order: seed 0 of the effect settings ({@link effectStages}), then the text and
 * MIL stages (one seed each, the demo's own small budgets). The pool runs them two at a time ({@link DEMO_WORKERS});
 * `quick` shrinks every stage to a few steps (a smoke test of the whole pipeline).
 */
export function demoStages(quick: boolean, out: string): DemoStage[] {
  const text = quick
    ? ['data.labelled.perClass=4', 'data.labelled.heldOut=16', 'train.maxSteps=3', 'train.evalEvery=3']
    : ['data.labelled.perClass=16', 'data.labelled.heldOut=200', 'train.evalEvery=20', 'train.epochs=15'];
  // Every text stage fine-tunes the same shipped BERT (demoBertNote says how it was pretrained).
  const bert = [`bert.from=${DEMO_BERT}`];
  // Each stage's learning rate is its arm's choice on the text table's dev split (N = 16 per class, seed 100: full
  // fine-tuning 3e-4 of {3e-5, 1e-4, 3e-4}, LoRA 3e-3 of {3e-4, 1e-3, 3e-3}; docs/text-effects-runs/peft-sweep.jsonl),
  // not the recipes' generic defaults (5e-4, 5e-3), which no dev split chose.
  const fullLr = 'optim.lr=0.0003';
  const loraLr = 'optim.lr=0.003';
  // The mil-ib recipe's own budget (50 epochs of 200 bags, one bag per step: 10,000 steps, the official epoch count),
  // named so that a change of the recipe's defaults does not silently change the demo: measured 2026-11-25 in the demo,
  // 20 s for the IB model and 13 s for the CLAM-SB baseline on 2 CPU cores (25 epochs: bag accuracy 0.69, still climbing).
  const mil = quick
    ? ['data.labelled.n=8', 'data.labelled.heldOut=8', 'train.maxSteps=3', 'train.evalEvery=3', 'train.checkpointEvery=3']
    : ['data.labelled.n=200', 'data.labelled.heldOut=200', 'train.epochs=50', 'train.evalEvery=200', 'train.checkpointEvery=200'];
  return [
    ...effectStages(quick, out),
    {
      name: 'finetune-full',
      recipe: 'finetune-full',
      story: `the shipped BERT (${DEMO_BERT}) fully fine-tuned on 16 reviews per class, linear head (the PEFT stages' baseline)`,
      sets: [...text, ...bert, fullLr],
    },
    {
      // The PEFT stage keeps full fine-tuning's linear head, so the comparison is the adapters alone. LoRA: the PEFT arm
      // closest to full fine-tuning in the text tables (docs/text-effects.md, N = 16 and 64 per class); the tables
      // printed below the summary give BitFit, RelBitFit and KronA (dropped from the demo for its 6-minute budget).
      name: 'peft-lora',
      recipe: 'peft-lora',
      story: 'LoRA few-sample fine-tuning of the same BERT (query/value adapters), same linear head',
      sets: [...text, ...bert, loraLr, 'head.type=linear'],
      baseline: 'finetune-full',
    },
    {
      name: 'mil-ib',
      recipe: 'mil-ib',
      story: 'weak labels: bags of digits labelled only "contains a 9"; Bernoulli-mask IB picks the instances (MIL)',
      sets: [...mil],
      baseline: 'clam-sb',
    },
    {
      name: 'clam-sb',
      recipe: 'mil-ib',
      story: 'baseline: CLAM-SB gated attention over every instance, plain CE (mil.useIb=false)',
      sets: [...mil, 'mil.useIb=false'],
    },
  ];
}

/**
 * Where the demo's BERT comes from (printed before the text stages): {@link DEMO_BERT}, shipped with @lel/models,
 * pretrained once (not inside the demo); its pretraining.json records the objective, steps and held-out losses.
 */
export function demoBertNote(name: ShippedBert = DEMO_BERT): string {
  try {
    const dir = pretrainedBertPath(name);
    const info = JSON.parse(fs.readFileSync(path.join(dir, 'pretraining.json'), 'utf8')) as {
      objective?: string;
      steps?: number;
      train_seconds?: number;
      seconds?: number;
      eval_before?: { mlm?: number };
      eval_after?: { mlm?: number; nsp_acc?: number };
      firstLoss10?: number;
      lastLoss10?: number;
    };
    const before = info.eval_before?.mlm ?? info.firstLoss10;
    const after = info.eval_after?.mlm ?? info.lastLoss10;
    const loss = before !== undefined && after !== undefined ? `, MLM loss ${before.toFixed(2)} → ${after.toFixed(2)}` : '';
    const nsp = info.eval_after?.nsp_acc !== undefined ? `, held-out NSP accuracy ${(100 * info.eval_after.nsp_acc).toFixed(1)}%` : '';
    return `[demo] text stages fine-tune ${name}, a BERT pretrained on the offline corpora and shipped with @lel/models (${info.objective ?? 'masked LM'}, ${info.steps ?? '?'} steps${loss}${nsp}; see packages/models/pretrained/${name}/README.md)`;
  } catch (e) {
    return `[demo] text stages fine-tune ${name} shipped with @lel/models (${(e as Error).message})`;
  }
}

/** Stages of the issue's story that wait for packages still in progress (reported, never faked). */
export const DEMO_PENDING: { stage: string; package: string }[] = [];

/** Training processes the demo runs at once: one per core of a 2-core machine (a `lel train` process trains on one thread). */
export const DEMO_WORKERS = 2;

/** Options of {@link demoCommand}. */
export interface DemoOptions {
  out?: string;
  backend?: string;
  quick?: boolean;
  /** Training processes at once (default {@link DEMO_WORKERS}). */
  workers?: number;
  log?: (l: string) => void;
  /** The measured effect tables printed beside the stages (default `<repo>/docs/effects.json`). */
  effectsFile?: string;
}

/** The effect tables' file as the summary names it: relative to the repository when inside it. */
function tableLabel(file: string): string {
  const rel = path.relative(repoRoot(), path.resolve(file));
  return rel.startsWith('..') || path.isAbsolute(rel) ? path.resolve(file) : rel;
}

/** The order the pool starts stages in: those other stages read first (the teacher), then the summary's order. */
function launchOrder(stages: readonly DemoStage[]): DemoStage[] {
  const needed = new Set(stages.flatMap((s) => s.after ?? []));
  return [...stages.filter((s) => needed.has(s.name)), ...stages.filter((s) => !needed.has(s.name))];
}

/**
 * `lel demo`: run every stage, {@link DEMO_WORKERS} `lel train` processes at a time through the sweep's local pool
 * (a stage starts once the stages it reads finished; finished stages are reused, interrupted ones resumed), then
 * print a summary table, each effect comparison of seed 0 beside its table's paired seeds, and write one report.
 */
export async function demoCommand(
  options: DemoOptions = {},
): Promise<{ summaries: { stage: DemoStage; summary: RunSummary }[]; comparisons: string[]; report: string; seconds: number }> {
  const out = options.out ?? path.join('runs', 'demo');
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const started = Date.now();
  fs.mkdirSync(out, { recursive: true });
  const available = new Set(RECIPES.map((r) => r.name));
  const stages = demoStages(options.quick ?? false, out).filter((s) => available.has(s.recipe));
  log(`[demo] ${options.quick ? 'quick ' : ''}end-to-end run into ${out}, ${options.workers ?? DEMO_WORKERS} trainings at a time (each stage's log: <stage>/train.log)`);
  for (const p of DEMO_PENDING) log(`[demo] not included yet: ${p.stage} (needs ${p.package})`);
  if (stages.some((s) => s.sets.includes(`bert.from=${DEMO_BERT}`))) log(demoBertNote());
  const runs: PlannedRun[] = [];
  const idOf = new Map<string, string>();
  for (const stage of stages) {
    const dir = path.join(out, stage.name);
    const config = resolveTrainConfig(getRecipe(stage.recipe), { sets: stage.sets }) as ConfigTree;
    const id = runId(config);
    idOf.set(stage.name, id);
    // A stage folder is reused (finished) or resumed (interrupted) only when it was run with the same recipe,
    // settings and resolved config; after a change of the demo's settings or of the code's defaults it is run afresh.
    const stamp = JSON.stringify({ recipe: stage.recipe, sets: stage.sets, id });
    const stampFile = path.join(dir, 'demo-stage.json');
    if (fs.existsSync(dir) && (!fs.existsSync(stampFile) || fs.readFileSync(stampFile, 'utf8') !== stamp)) {
      log(`[demo] ${stage.name}: ${dir} was run with other settings; starting it afresh`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (fs.existsSync(path.join(dir, RUN_FILES.summary))) log(`[demo] ${stage.name}: already finished, reusing ${dir}`);
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(stampFile, stamp);
    runs.push({ id, recipe: stage.recipe, sets: stage.sets, config, dir: stage.name, cells: [{ arm: stage.name, point: {}, seed: 0 }] });
  }
  for (const run of runs) {
    const after = stages.find((s) => s.name === run.dir)!.after;
    if (after) run.after = after.map((name) => idOf.get(name)!);
  }
  const byName = new Map(stages.map((s) => [s.name, s]));
  const ordered = launchOrder(stages).map((s) => runs.find((r) => r.dir === s.name)!);
  const stream = options.log ? { write: (chunk: string) => chunk.split('\n').filter((l) => l.trim()).forEach((l) => log(l)) } : process.stderr;
  const outcome = await runLocalSweep(
    { name: 'demo', runs: ordered, spec: { retries: 1, ...(options.backend ? { backend: options.backend } : {}) } },
    {
      runsDir: out,
      workers: options.workers ?? DEMO_WORKERS,
      ...(options.backend ? { backend: options.backend } : {}),
      stream,
      onLaunch: (run) => log(`[demo] ── ${run.dir}: ${byName.get(run.dir)!.story}`),
    },
  );
  if (outcome.interrupted) {
    log(`[demo] interrupted; run the demo again to continue where it stopped`);
    process.exitCode = INTERRUPTED_EXIT_CODE;
    throw new Error('demo interrupted');
  }
  if (outcome.failed.length > 0) {
    const which = outcome.failed.map((f) => `${runs.find((r) => r.id === f.id)?.dir ?? f.id}: ${f.error.split('\n')[0]}`);
    throw new Error(`demo: ${outcome.failed.length} stage${outcome.failed.length > 1 ? 's' : ''} failed (logs: ${out}/<stage>/train.log):\n${which.join('\n')}`);
  }
  const done = stages.map((stage) => ({ stage, summary: readSummary(path.join(out, stage.name)) }));
  const report = writeRunReport(
    done.map((d) => path.join(out, d.stage.name)),
    path.join(out, 'report.html'),
    'LEL demo: label-efficient learning end to end',
  );
  const seconds = (Date.now() - started) / 1000;
  const table = summaryTable(done);
  const effectsFile = options.effectsFile ?? path.join(repoRoot(), 'docs', 'effects.json');
  const comparisons = effectComparisons(done, effectsFile);
  const effects = effectLines(effectsFile);
  const seeded =
    comparisons.length > 0
      ? `\n\nSeed 0 of the effect tables, run here, beside the tables' paired seeds (${tableLabel(effectsFile)}, \`pnpm effects\`; differences in points, 95% t-interval):\n${comparisons.join('\n')}`
      : '';
  const measured =
    effects.length > 0
      ? `\n\nEvery measured table (docs/effects.md; the text and MIL stages above are one seed each, their tables below):\n${effects.join('\n')}`
      : '';
  writeFileAtomicSync(path.join(out, 'summary.md'), `${table}${seeded}\n`);
  process.stdout.write(`\n${table}${seeded}${measured}\n\nDemo finished in ${seconds.toFixed(0)} s. Report: ${path.resolve(report)}\n`);
  return { summaries: done, comparisons, report, seconds };
}

/**
 * One line per effect comparison the demo ran: seed 0's method and baseline (and the ceiling), as run here, then the
 * setting's table in `effectsFile` (docs/effects.json): the paired difference over its seeds with the 95% interval,
 * and whether the table's seed 0 is this run (the same config and seed train alike; a difference means other code or
 * another backend).
 */
export function effectComparisons(done: readonly { stage: DemoStage; summary: RunSummary }[], effectsFile: string, settings: readonly EffectSetting[] = demoEffectSettings()): string[] {
  const doc = fs.existsSync(effectsFile) ? (JSON.parse(fs.readFileSync(effectsFile, 'utf8')) as { results?: SettingResult[] }) : {};
  const pct = (v: number) => (100 * v).toFixed(1);
  const lines: string[] = [];
  for (const setting of settings) {
    const value = (arm: string): number | undefined => {
      const d = done.find((x) => x.stage.effects?.some((e) => e.setting === setting.id && e.arm === arm));
      const v = d?.summary.metrics[setting.arms.find((a) => a.id === arm)?.metric ?? setting.metric];
      return v !== undefined && Number.isFinite(v) ? v : undefined;
    };
    const table = doc.results?.find((r) => r.id === setting.id);
    const ceilingArm = setting.arms.find((a) => a.role === 'ceiling');
    for (const c of setting.comparisons) {
      const m = value(c.method);
      const b = value(c.baseline);
      if (m === undefined || b === undefined) continue;
      const label = (id: string) => setting.arms.find((a) => a.id === id)!.label;
      const cv = ceilingArm ? value(ceilingArm.id) : undefined;
      const ceiling = cv !== undefined ? `; ${label(ceilingArm!.id)} ${pct(cv)} (ceiling)` : '';
      const here = `${label(c.method)} ${pct(m)} vs ${label(c.baseline)} ${pct(b)} ${setting.metricLabel}, ${points(m - b)} (seed 0)${ceiling}`;
      const stats = table?.comparisons.find((x) => x.method === c.method && x.baseline === c.baseline);
      let measured: string;
      if (!stats || stats.seeds.length === 0) measured = `table: not measured yet (\`pnpm effects --methods ${setting.id}\`)`;
      else {
        const n = stats.seeds.length;
        const ci = Number.isFinite(stats.interval[0]) ? ` [${points(stats.interval[0])}, ${points(stats.interval[1])}]` : '';
        const seed0 = (id: string) => {
          const a = table!.arms.find((x) => x.id === id);
          const i = a ? a.seeds.indexOf(0) : -1;
          return a && i >= 0 ? a.values[i] : undefined;
        };
        const tm = seed0(c.method);
        const tb = seed0(c.baseline);
        const same = tm !== undefined && tb !== undefined ? (Math.abs(tm - m) < 5e-4 && Math.abs(tb - b) < 5e-4 ? '; its seed 0 is this run' : `; its seed 0 differs: ${pct(tm)} vs ${pct(tb)}`) : '';
        // A verdict of a setting that misses the headroom rule is no claim: say so beside it, as the tables do.
        const room = table!.headroom && !table!.headroom.counts ? ', but the setting misses the headroom rule: no claim' : '';
        measured = `table over ${n} paired seed${n === 1 ? '' : 's'}: ${points(stats.meanDifference)}${ci} (${stats.verdict}${room})${same}`;
      }
      lines.push(`- ${setting.title}: ${here}; ${measured}`);
    }
  }
  return lines;
}

/** The headline score of a run: what the summary table compares (higher is better), with its name. */
export function headline(s: RunSummary): { name: string; value: number } | undefined {
  const m = s.metrics;
  if (m.clustering_accuracy !== undefined && m.miou !== undefined) return { name: 'mIoU (clusters)', value: m.miou };
  if (m.miou !== undefined) return { name: 'mIoU', value: m.miou };
  if (m.accuracy !== undefined) return { name: 'accuracy', value: m.accuracy };
  if (m.bag_accuracy !== undefined) return { name: 'bag accuracy', value: m.bag_accuracy };
  return undefined;
}

const points = (d: number) => `${d >= 0 ? '+' : '−'}${Math.abs(100 * d).toFixed(1)}`;

/** The markdown table printed at the end of the demo. */
export function summaryTable(done: { stage: DemoStage; summary: RunSummary }[]): string {
  // A method stage prints its difference from its baseline stage (and the all-label ceiling where the demo runs one):
  // one seed, so an anecdote, not an effect — the effect tables (docs/effects.md, `pnpm effects`) pair five seeds.
  const score = (name: string | undefined) => (name ? done.find((d) => d.stage.name === name) : undefined);
  const versus = (stage: DemoStage, s: RunSummary) => {
    const a = headline(s);
    const b = score(stage.baseline);
    const bh = b ? headline(b.summary) : undefined;
    if (!a || !bh) return '';
    const c = score(stage.ceiling);
    const ch = c ? headline(c.summary) : undefined;
    const ceiling = ch ? `; ceiling (${stage.ceiling}) ${ch.value.toFixed(3)}, ${points(ch.value - bh.value)} over the baseline` : '';
    return `${points(a.value - bh.value)} points vs ${stage.baseline} (${bh.value.toFixed(3)}; 1 seed)${ceiling}`;
  };
  const rows = done.map(({ stage, summary: s }) => {
    const m = s.metrics;
    const h = headline(s);
    const metric =
      h?.name === 'bag accuracy'
        ? `bag accuracy ${h.value.toFixed(3)} (AUC ${m.bag_auc!.toFixed(3)}, localisation ${m.localisation!.toFixed(2)})`
        : h?.name === 'mIoU (clusters)'
          ? `mIoU ${h.value.toFixed(3)} (clusters, Hungarian-matched)`
          : h
            ? `${h.name} ${h.value.toFixed(3)}${m.trivial_miou !== undefined ? ` (background everywhere ${m.trivial_miou.toFixed(3)})` : ''}`
            : '';
    return `| ${stage.name} | ${stage.story} | ${metric} | ${versus(stage, s)} | ${s.params.trainable.toLocaleString('en-US')} | ${s.steps} | ${s.wallSeconds.toFixed(0)} s |`;
  });
  return ['| stage | what | result | vs baseline | trainable params | steps | time |', '|---|---|---|---|---:|---:|---:|', ...rows].join('\n');
}

/** What the demo prints of the measured effect tables: one line per setting from `docs/effects.json` (`pnpm effects`). */
export function effectLines(file: string): string[] {
  if (!fs.existsSync(file)) return [];
  const doc = JSON.parse(fs.readFileSync(file, 'utf8')) as { results?: SettingResult[]; text?: SettingResult[] };
  const pct = (v: number) => (Number.isFinite(v) ? (100 * v).toFixed(1) : '—');
  return [...(doc.results ?? []), ...(doc.text ?? [])].map((r) => {
    const arm = (role: string) => r.arms.find((a) => a.role === role);
    const base = arm('baseline');
    const ceil = arm('ceiling');
    const cmp = r.comparisons
      .filter((c) => c.baseline === base?.id)
      .map((c) => {
        if (c.seeds.length === 0) return `${r.arms.find((a) => a.id === c.method)?.label ?? c.method} not run yet`;
        const ci = Number.isFinite(c.interval[0]) ? ` [${points(c.interval[0])}, ${points(c.interval[1])}]` : '';
        return `${r.arms.find((a) => a.id === c.method)?.label ?? c.method} ${points(c.meanDifference)}${ci} (${c.seeds.length} seed${c.seeds.length === 1 ? '' : 's'}, ${c.verdict})`;
      });
    const head = base && base.seeds.length > 0 ? `baseline ${pct(base.mean)} (${base.seeds.length} seed${base.seeds.length === 1 ? '' : 's'})` : 'baseline not run';
    // Without a headroom figure: either no ceiling was run, or (a grid under way) no baseline yet.
    const room = r.headroom ? (r.headroom.counts ? 'counts' : 'no headroom: no claim') : ceil && ceil.seeds.length > 0 && !(base && base.seeds.length > 0) ? 'baseline not run yet: no claim' : 'no ceiling: no claim';
    return `- ${r.title}: ${head}; ${cmp.length > 0 ? cmp.join('; ') : 'no paired method run'}; ceiling ${ceil ? pct(ceil.mean) : '—'} (${room})`;
  });
}
