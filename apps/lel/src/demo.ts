import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '@lel/core/node';
import { pretrainedBertPath, type ShippedBert } from '@lel/models/node';
import { RECIPES } from './recipes';
import type { RunSummary } from './recipes/types';
import { repoRoot } from './effects/repo-root';
import type { SettingResult } from './effects/types';
import { writeRunReport } from './report';
import { readSummary } from './run-dir';
import { INTERRUPTED_EXIT_CODE } from './signals';
import { trainCommand } from './train';

/** One stage of the demo: a recipe run with its overrides (some point at earlier stages' runs). */
export interface DemoStage {
  /** Folder name under the demo's output folder. */
  name: string;
  recipe: string;
  story: string;
  sets: (out: string) => string[];
  /** The stage this one is compared with in the summary (same data, budget and seed: one paired seed). */
  baseline?: string;
  /** The all-label run of the baseline (the ceiling: how much labels could still give), when the demo runs one. */
  ceiling?: string;
}

/**
 * The headroom task of the effect tables (src/effects/settings.ts) at the demo's size: digit scenes of four digits
 * (0, 1, 4, 7), large (0.6–1 of the side), one or two per scene. With all ten digits of the default size a small
 * network stays near "background everywhere" even with every scene labelled, so no method could show a gain.
 */
const HEADROOM_SCENES = (role: 'labelled' | 'unlabelled') => [`data.${role}.digits=[0,1,4,7]`, `data.${role}.scale=[0.6,1.0]`, `data.${role}.digitsPerImage=[1,2]`];

/** The BERT every text stage fine-tunes: the 4 × 256 encoder shipped with @lel/models (MLM + NSP on the offline corpora). */
export const DEMO_BERT: ShippedBert = 'bert-l4-h256-lel';

/**
 * The demo's stages, in order. Settings are sized to finish in about 2 minutes on 2 CPU cores (wasm backend);
 * `quick` shrinks every stage to a few steps (a smoke test of the whole pipeline).
 */
export function demoStages(quick: boolean): DemoStage[] {
  // kd/ckd read the same data section as CCT: n scenes, a fifth carved off as the test part (96 train of 120).
  const seg = quick
    ? ['data.labelled.n=20', 'data.labelled.heldOut=4', ...HEADROOM_SCENES('labelled'), 'train.maxSteps=3', 'train.evalEvery=3', 'train.checkpointEvery=3']
    : ['data.labelled.n=120', 'data.labelled.heldOut=32', ...HEADROOM_SCENES('labelled'), 'train.evalEvery=40', 'train.checkpointEvery=40'];
  // CCT reads the data sources' section: the embedded scenes are data.labelled (n scenes, heldOut of them for dev).
  const segCct = quick
    ? ['data.labelled.n=16', 'data.labelled.heldOut=4', ...HEADROOM_SCENES('labelled'), 'train.maxSteps=3', 'train.evalEvery=3', 'train.checkpointEvery=3']
    : ['data.labelled.n=96', 'data.labelled.heldOut=32', ...HEADROOM_SCENES('labelled'), 'train.evalEvery=40', 'train.checkpointEvery=40'];
  const text = quick
    ? ['data.labelled.perClass=4', 'data.labelled.heldOut=16', 'train.maxSteps=3', 'train.evalEvery=3']
    : ['data.labelled.perClass=16', 'data.labelled.heldOut=200', 'train.evalEvery=20', 'train.epochs=15'];
  // Every text stage fine-tunes the same shipped BERT (demoBertNote says how it was pretrained).
  const bert = [`bert.from=${DEMO_BERT}`];
  // The mil-ib recipe's own budget (50 epochs of 200 bags, one bag per step: 10,000 steps, the official epoch count),
  // named so that a change of the recipe's defaults does not silently change the demo: measured 2026-11-25 in the demo,
  // 20 s for the IB model and 13 s for the CLAM-SB baseline on 2 CPU cores (25 epochs: bag accuracy 0.69, still climbing).
  const mil = quick
    ? ['data.labelled.n=8', 'data.labelled.heldOut=8', 'train.maxSteps=3', 'train.evalEvery=3', 'train.checkpointEvery=3']
    : ['data.labelled.n=200', 'data.labelled.heldOut=200', 'train.epochs=50', 'train.evalEvery=200', 'train.checkpointEvery=200'];
  const arInit = (out: string) => `init.encoder=${path.join(out, 'arseg')}`;
  const ar = [...(quick ? ['data.unlabelled.n=8', 'data.unlabelled.heldOut=4', 'train.steps=3', 'train.batchSize=4'] : ['data.unlabelled.n=96', 'data.unlabelled.heldOut=32', 'train.steps=150', 'train.evalEvery=50']), ...HEADROOM_SCENES('unlabelled')];
  // The distillation stages: the student with SWA, with and without the CCT model as teacher (same batches and seed).
  const student = [...seg, 'swa.enabled=true', 'swa.unit=step', 'swa.swaStart=0.5', 'swa.every=2', ...(quick ? [] : ['train.epochs=22'])];
  return [
    {
      name: 'arseg',
      recipe: 'arseg',
      story: 'pretrain an encoder without labels (autoregressive MI); clusters scored on held-out scenes',
      sets: () => ar,
      baseline: 'iic',
    },
    {
      name: 'iic',
      recipe: 'iic',
      story: "baseline: IIC on the same network and scenes (two augmented views)",
      sets: () => ar,
    },
    {
      name: 'cct',
      recipe: 'cct',
      story: 'CCT with 1/8 of the scenes labelled, from that encoder',
      // 1,320 steps (120 epochs of 11 unlabelled batches), as the baseline's: measured 2026-11-25, doubling the old
      // 660 took the baseline from 10.7% to 12.1% mIoU (CCT: 9.9% → 9.6%, within seed noise) for +28 s in all — steps got ~1.6×
      // cheaper with LEL's SIMD kernels since the budgets were set.
      sets: (out) => [...segCct, arInit(out), ...(quick ? [] : ['train.epochs=120'])],
      baseline: 'cct-supervised',
      ceiling: 'cct-all-labels',
    },
    {
      name: 'cct-supervised',
      recipe: 'cct-supervised',
      story: 'baseline: the labelled 1/8 only, same encoder init',
      sets: (out) => [...segCct, arInit(out), ...(quick ? [] : ['train.epochs=440'])],
    },
    {
      name: 'cct-all-labels',
      recipe: 'cct-supervised',
      story: 'ceiling: every training scene labelled, same encoder init and steps',
      // 77 training scenes (19 of 96 carved off as the test part), batches of 4: 20 steps an epoch, 66 epochs = 1,320 steps.
      sets: (out) => [...segCct, 'data.labelled.fraction=1', arInit(out), ...(quick ? [] : ['train.epochs=66'])],
    },
    {
      name: 'kd-swa',
      recipe: 'kd',
      story: 'distil the CCT model into a smaller student, with SWA',
      // An epoch is a pass over the 84 unlabelled scenes (the transfer set, 8 per step beside 4 labelled): 22 epochs are
      // 242 steps, the 240 of the former 80 epochs over the 12 labelled scenes (each step now 12 scenes instead of 4).
      sets: (out) => [...student, `teacher.run=${path.join(out, 'cct')}`],
      baseline: 'student-swa',
    },
    {
      name: 'student-swa',
      recipe: 'student',
      story: 'baseline: the same student, batches and SWA without a teacher (labelled pixels only)',
      sets: () => student,
    },
    {
      name: 'finetune-full',
      recipe: 'finetune-full',
      story: `the shipped BERT (${DEMO_BERT}) fully fine-tuned on 16 reviews per class, linear head (the PEFT stages' baseline)`,
      sets: () => [...text, ...bert],
    },
    {
      // The PEFT stages keep full fine-tuning's linear head, so the comparison is the adapters alone.
      name: 'peft-relbitfit',
      recipe: 'peft-relbitfit',
      story: 'RelBitFit few-sample fine-tuning of the same BERT, same linear head',
      sets: () => [...text, ...bert, 'head.type=linear'],
      baseline: 'finetune-full',
    },
    {
      name: 'peft-krona',
      recipe: 'peft-krona',
      story: 'KronA few-sample fine-tuning of the same BERT, same linear head',
      sets: () => [...text, ...bert, 'head.type=linear'],
      baseline: 'finetune-full',
    },
    {
      name: 'mil-ib',
      recipe: 'mil-ib',
      story: 'weak labels: bags of digits labelled only "contains a 9"; Bernoulli-mask IB picks the instances (MIL)',
      sets: () => [...mil],
      baseline: 'clam-sb',
    },
    {
      name: 'clam-sb',
      recipe: 'mil-ib',
      story: 'baseline: CLAM-SB gated attention over every instance, plain CE (mil.useIb=false)',
      sets: () => [...mil, 'mil.useIb=false'],
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

/** Options of {@link demoCommand}. */
export interface DemoOptions {
  out?: string;
  backend?: string;
  quick?: boolean;
  log?: (l: string) => void;
}

/**
 * `lel demo`: run every stage (finished stages are reused, interrupted ones resumed), then print a summary table
 * and write one comparison report. Returns the summaries and the report path.
 */
export async function demoCommand(options: DemoOptions = {}): Promise<{ summaries: { stage: DemoStage; summary: RunSummary }[]; report: string; seconds: number }> {
  const out = options.out ?? path.join('runs', 'demo');
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const started = Date.now();
  fs.mkdirSync(out, { recursive: true });
  const available = new Set(RECIPES.map((r) => r.name));
  const done: { stage: DemoStage; summary: RunSummary }[] = [];
  let bertNoted = false;
  log(`[demo] ${options.quick ? 'quick ' : ''}end-to-end run into ${out}`);
  for (const p of DEMO_PENDING) log(`[demo] not included yet: ${p.stage} (needs ${p.package})`);
  for (const stage of demoStages(options.quick ?? false)) {
    if (!available.has(stage.recipe)) continue;
    const dir = path.join(out, stage.name);
    // A stage folder is reused (finished) or resumed (interrupted) only when it was run with the same recipe and
    // settings; after a change of the demo's settings (or of the code's defaults it names) it is run afresh.
    const stamp = JSON.stringify({ recipe: stage.recipe, sets: stage.sets(out) });
    const stampFile = path.join(dir, 'demo-stage.json');
    if (fs.existsSync(dir) && (!fs.existsSync(stampFile) || fs.readFileSync(stampFile, 'utf8') !== stamp)) {
      log(`[demo] ${stage.name}: ${dir} was run with other settings; starting it afresh`);
      fs.rmSync(dir, { recursive: true, force: true });
    }
    if (fs.existsSync(path.join(dir, 'summary.json'))) {
      log(`[demo] ${stage.name}: already finished, reusing ${dir}`);
      done.push({ stage, summary: readSummary(dir) });
      continue;
    }
    fs.mkdirSync(dir, { recursive: true });
    writeFileAtomicSync(stampFile, stamp);
    if (!bertNoted && stage.sets(out).includes(`bert.from=${DEMO_BERT}`)) {
      log(`\n${demoBertNote()}`);
      bertNoted = true;
    }
    log(`\n[demo] ── ${stage.name}: ${stage.story}`);
    const resume = fs.existsSync(path.join(dir, 'checkpoints', 'last')) ? 'last' : undefined;
    const r = await trainCommand(stage.recipe, { out: dir, set: stage.sets(out), backend: options.backend, ...(resume ? { resume } : {}), log });
    if (r.interrupted || !r.summary) {
      log(`[demo] interrupted; run the demo again to continue where it stopped`);
      process.exitCode = INTERRUPTED_EXIT_CODE;
      throw new Error('demo interrupted');
    }
    done.push({ stage, summary: r.summary });
  }
  const report = writeRunReport(
    done.map((d) => path.join(out, d.stage.name)),
    path.join(out, 'report.html'),
    'LEL demo: label-efficient learning end to end',
  );
  const seconds = (Date.now() - started) / 1000;
  const table = summaryTable(done);
  writeFileAtomicSync(path.join(out, 'summary.md'), table + '\n');
  const effects = effectLines(path.join(repoRoot(), 'docs', 'effects.json'));
  const measured =
    effects.length > 0
      ? `\n\nThe demo's comparisons are one seed each. Measured over paired seeds (docs/effects.md, \`pnpm effects\`; differences in points, 95% interval):\n${effects.join('\n')}`
      : '';
  process.stdout.write(`\n${table}${measured}\n\nDemo finished in ${seconds.toFixed(0)} s. Report: ${path.resolve(report)}\n`);
  return { summaries: done, report, seconds };
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
    const room = r.headroom ? (r.headroom.counts ? 'counts' : 'no headroom: no claim') : 'no ceiling: no claim';
    return `- ${r.title}: ${head}; ${cmp.length > 0 ? cmp.join('; ') : 'no paired method run'}; ceiling ${ceil ? pct(ceil.mean) : '—'} (${room})`;
  });
}
