import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '@lel/core/node';
import { pretrainedBertPath, type ShippedBert } from '@lel/models/node';
import { RECIPES } from './recipes';
import type { RunSummary } from './recipes/types';
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
}

/** The BERT every text stage fine-tunes: the 4 × 256 encoder shipped with @lel/models (MLM + NSP on the offline corpora). */
export const DEMO_BERT: ShippedBert = 'bert-l4-h256-lel';

/**
 * The demo's stages, in order. Settings are sized to finish in about 2 minutes on 2 CPU cores (wasm backend);
 * `quick` shrinks every stage to a few steps (a smoke test of the whole pipeline).
 */
export function demoStages(quick: boolean): DemoStage[] {
  // kd/ckd read the same data section as CCT: n scenes, a fifth carved off as the test part (96 train of 120).
  const seg = quick
    ? ['data.labelled.n=20', 'data.labelled.heldOut=4', 'train.maxSteps=3', 'train.evalEvery=3', 'train.checkpointEvery=3']
    : ['data.labelled.n=120', 'data.labelled.heldOut=32', 'train.evalEvery=40', 'train.checkpointEvery=40'];
  // CCT reads the data sources' section: the embedded scenes are data.labelled (n scenes, heldOut of them for dev).
  const segCct = quick
    ? ['data.labelled.n=16', 'data.labelled.heldOut=4', 'train.maxSteps=3', 'train.evalEvery=3', 'train.checkpointEvery=3']
    : ['data.labelled.n=96', 'data.labelled.heldOut=32', 'train.evalEvery=40', 'train.checkpointEvery=40'];
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
  return [
    {
      name: 'arseg',
      recipe: 'arseg',
      story: 'pretrain an encoder without labels (autoregressive MI)',
      sets: () => (quick ? ['data.unlabelled.n=8', 'data.unlabelled.heldOut=4', 'train.steps=3', 'train.batchSize=4'] : ['data.unlabelled.n=96', 'data.unlabelled.heldOut=32', 'train.steps=150', 'train.evalEvery=50']),
    },
    {
      name: 'cct',
      recipe: 'cct',
      story: 'CCT with 1/8 of the scenes labelled, from that encoder',
      // 1,320 steps (120 epochs of 11 unlabelled batches), as the baseline's: measured 2026-11-25, doubling the old
      // 660 took the baseline from 10.7% to 12.1% mIoU (CCT: 9.9% → 9.6%, within seed noise) for +28 s in all — steps got ~1.6×
      // cheaper with LEL's SIMD kernels since the budgets were set.
      sets: (out) => [...segCct, arInit(out), ...(quick ? [] : ['train.epochs=120'])],
    },
    {
      name: 'cct-supervised',
      recipe: 'cct-supervised',
      story: 'baseline: the labelled 1/8 only, same encoder init',
      sets: (out) => [...segCct, arInit(out), ...(quick ? [] : ['train.epochs=440'])],
    },
    {
      name: 'kd-swa',
      recipe: 'kd',
      story: 'distil the CCT model into a smaller student, with SWA',
      // An epoch is a pass over the 84 unlabelled scenes (the transfer set, 8 per step beside 4 labelled): 22 epochs are
      // 242 steps, the 240 of the former 80 epochs over the 12 labelled scenes (each step now 12 scenes instead of 4).
      sets: (out) => [...seg, `teacher.run=${path.join(out, 'cct')}`, 'swa.enabled=true', 'swa.unit=step', 'swa.swaStart=0.5', 'swa.every=2', ...(quick ? [] : ['train.epochs=22'])],
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

/** Stages of the story that wait for packages still in progress (reported, never faked). */
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
  process.stdout.write(`\n${table}\n\nDemo finished in ${seconds.toFixed(0)} s. Report: ${path.resolve(report)}\n`);
  return { summaries: done, report, seconds };
}

/** The markdown table printed at the end of the demo. */
export function summaryTable(done: { stage: DemoStage; summary: RunSummary }[]): string {
  // A stage with a baseline prints its accuracy difference from it: one seed, so an anecdote, not an effect (the
  // effects tables, apps/lel/src/effects/text, pair five or more seeds).
  const versus = (stage: DemoStage, s: RunSummary) => {
    const b = done.find((d) => d.stage.name === stage.baseline)?.summary.metrics.accuracy;
    const a = s.metrics.accuracy;
    if (b === undefined || a === undefined) return '';
    const d = 100 * (a - b);
    return `${d >= 0 ? '+' : '−'}${Math.abs(d).toFixed(1)} points vs ${stage.baseline} (1 seed)`;
  };
  const rows = done.map(({ stage, summary: s }) => {
    const metric =
      s.metrics.clustering_accuracy !== undefined
        ? `mIoU ${s.metrics.miou!.toFixed(3)} (clusters, Hungarian-matched)`
        : s.metrics.miou !== undefined
          ? `mIoU ${s.metrics.miou.toFixed(3)}`
          : s.metrics.accuracy !== undefined
            ? `accuracy ${s.metrics.accuracy.toFixed(3)}`
            : s.metrics.bag_accuracy !== undefined
              ? `bag accuracy ${s.metrics.bag_accuracy.toFixed(3)} (AUC ${s.metrics.bag_auc!.toFixed(3)}, localisation ${s.metrics.localisation!.toFixed(2)})`
              : '';
    return `| ${stage.name} | ${stage.story} | ${metric} | ${versus(stage, s)} | ${s.params.trainable.toLocaleString('en-US')} | ${s.steps} | ${s.wallSeconds.toFixed(0)} s |`;
  });
  return ['| stage | what | result | vs baseline | trainable params | steps | time |', '|---|---|---|---|---:|---:|---:|', ...rows].join('\n');
}


