import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '@lel/core';
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
}

/**
 * The demo's stages, in order. Settings are sized to finish in about 10 minutes on 2 CPU cores (wasm backend);
 * `quick` shrinks every stage to a few steps (a smoke test of the whole pipeline).
 */
export function demoStages(quick: boolean): DemoStage[] {
  const seg = quick
    ? ['data.scenes=16', 'data.valScenes=4', 'train.maxSteps=3', 'train.evalEvery=3', 'train.checkpointEvery=3']
    : ['data.scenes=96', 'data.valScenes=32', 'train.evalEvery=40', 'train.checkpointEvery=40'];
  const text = quick
    ? ['data.perClass=4', 'data.testSize=16', 'train.maxSteps=3', 'train.evalEvery=3']
    : ['data.perClass=16', 'data.testSize=200', 'train.evalEvery=20', 'optim.epochs=15'];
  const pretrain = quick ? ['bert.pretrain.steps=3', 'bert.pretrain.maxDocuments=4', 'bert.pretrain.vocabSize=400'] : ['bert.pretrain.steps=400', 'bert.pretrain.maxDocuments=120', 'optim.lr=1e-3'];
  const bertFrom = (out: string) => `bert.from=${path.join(out, 'finetune-full', 'pretrained')}`;
  const arInit = (out: string) => `init.encoder=${path.join(out, 'arseg')}`;
  return [
    {
      name: 'arseg',
      recipe: 'arseg',
      story: 'pretrain an encoder without labels (autoregressive MI)',
      sets: () => (quick ? ['data.scenes=8', 'data.valScenes=4', 'arseg.steps=3', 'arseg.batchSize=4'] : ['data.scenes=96', 'data.valScenes=32', 'arseg.steps=150', 'train.evalEvery=50']),
    },
    {
      name: 'cct',
      recipe: 'cct',
      story: 'CCT with 1/8 of the scenes labelled, from that encoder',
      sets: (out) => [...seg, arInit(out), ...(quick ? [] : ['cct.train.epochs=60'])],
    },
    {
      name: 'cct-supervised',
      recipe: 'cct-supervised',
      story: 'baseline: the labelled 1/8 only, same encoder init',
      sets: (out) => [...seg, arInit(out), ...(quick ? [] : ['cct.train.epochs=220'])],
    },
    {
      name: 'kd-swa',
      recipe: 'kd',
      story: 'distil the CCT model into a smaller student, with SWA',
      sets: (out) => [...seg, `teacher.run=${path.join(out, 'cct')}`, 'swa.enabled=true', 'swa.unit=step', 'swa.swaStart=0.5', 'swa.every=2', ...(quick ? [] : ['optim.epochs=40'])],
    },
    {
      name: 'finetune-full',
      recipe: 'finetune-full',
      story: 'BERT masked-LM pretrained on the embedded corpus, fully fine-tuned on 16 reviews per class',
      sets: () => [...text, ...pretrain],
    },
    {
      name: 'peft-relbitfit',
      recipe: 'peft-relbitfit',
      story: 'RelBitFit few-sample fine-tuning of the same BERT, VIB head',
      sets: (out) => [...text, bertFrom(out), 'head.type=vib'],
    },
    {
      name: 'peft-krona',
      recipe: 'peft-krona',
      story: 'KronA few-sample fine-tuning of the same BERT, VIB head',
      sets: (out) => [...text, bertFrom(out), 'head.type=vib'],
    },
  ];
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
  log(`[demo] ${options.quick ? 'quick ' : ''}end-to-end run into ${out}`);
  for (const p of DEMO_PENDING) log(`[demo] not included yet: ${p.stage} (needs ${p.package})`);
  for (const stage of demoStages(options.quick ?? false)) {
    if (!available.has(stage.recipe)) continue;
    const dir = path.join(out, stage.name);
    if (fs.existsSync(path.join(dir, 'summary.json'))) {
      log(`[demo] ${stage.name}: already finished, reusing ${dir}`);
      done.push({ stage, summary: readSummary(dir) });
      continue;
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
  const rows = done.map(({ stage, summary: s }) => {
    const metric =
      s.metrics.clustering_accuracy !== undefined
        ? `mIoU ${s.metrics.miou!.toFixed(3)} (clusters, Hungarian-matched)`
        : s.metrics.miou !== undefined
          ? `mIoU ${s.metrics.miou.toFixed(3)}`
          : s.metrics.accuracy !== undefined
            ? `accuracy ${s.metrics.accuracy.toFixed(3)}`
            : '';
    return `| ${stage.name} | ${stage.story} | ${metric} | ${s.params.trainable.toLocaleString('en-US')} | ${s.steps} | ${s.wallSeconds.toFixed(0)} s |`;
  });
  return ['| stage | what | result | trainable params | steps | time |', '|---|---|---|---:|---:|---:|', ...rows].join('\n');
}


