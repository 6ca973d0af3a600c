import * as fs from 'node:fs';
import * as path from 'node:path';
import { meanConfidenceInterval } from '@lel/core';
import { writeFileAtomicSync } from '@lel/core/node';
import { writeRunReport } from './report';
import { headline } from './report';
import { readSummary } from './run-dir';
import type { RunSummary } from './recipes/types';
import { trainCommand } from './train';

/** One arm of a study: a recipe with its overrides (`{dir}` and `{seed}` are replaced by the study folder and the seed). */
export interface BenchArm {
  label: string;
  recipe: string;
  sets?: string[];
}

/** A method-vs-baseline study. */
export interface BenchSuite {
  description: string;
  arms: BenchArm[];
}

/** The studies `lel bench` runs (the tables in the package READMEs). */
export const BENCH_SUITES: Record<string, BenchSuite> = {
  cct: {
    description: 'CCT vs the supervised-only baseline, 1/8 of the digit-scene masks labelled (equal step budgets)',
    arms: [
      { label: 'cct', recipe: 'cct' },
      { label: 'supervised', recipe: 'cct-supervised' },
    ],
  },
  distill: {
    description: 'KD and Continuation-KD of a segmentation teacher into a smaller student vs the student trained on labels alone',
    arms: [
      { label: 'kd', recipe: 'kd' },
      { label: 'ckd', recipe: 'ckd' },
      { label: 'student-only', recipe: 'cct-supervised', sets: ['model.widths=[8,16]'] },
    ],
  },
  arseg: {
    description: 'Autoregressive-MI clustering vs IIC on the same network, no labels (Hungarian-matched foreground/background)',
    arms: [
      { label: 'arseg', recipe: 'arseg' },
      { label: 'iic', recipe: 'iic' },
    ],
  },
  peft: {
    description: 'BitFit, RelBitFit, KronA and LoRA vs full fine-tuning of the same masked-LM-pretrained BERT (the shipped bert-mini-lel), 16 reviews per class',
    arms: [
      { label: 'full', recipe: 'finetune-full' },
      { label: 'bitfit', recipe: 'peft-bitfit' },
      { label: 'relbitfit', recipe: 'peft-relbitfit' },
      { label: 'krona', recipe: 'peft-krona' },
      { label: 'lora', recipe: 'peft-lora' },
    ],
  },
  vib: {
    description: 'VIBERT (information-bottleneck head) vs full fine-tuning with a linear head, same pretrained BERT (the shipped bert-mini-lel), 16 reviews per class',
    arms: [
      { label: 'full', recipe: 'finetune-full' },
      { label: 'vib', recipe: 'vib' },
    ],
  },
  scl: {
    description: 'Spatial contrastive pre-training vs cross-entropy only, 5-way 1-shot on novel glyphs',
    arms: [
      { label: 'scl', recipe: 'scl' },
      { label: 'ce-only', recipe: 'scl', sets: ['scl.spatialContLoss=false'] },
    ],
  },
  'mil-ib': {
    description: 'Bernoulli-mask information bottleneck vs plain CLAM-SB gated attention (mil.useIb=false) on bags of digits, positive when a 9 is present',
    arms: [
      { label: 'mil-ib', recipe: 'mil-ib' },
      { label: 'clam-sb', recipe: 'mil-ib', sets: ['mil.useIb=false'] },
    ],
  },
  swa: {
    description: 'CCT with and without stochastic weight averaging',
    arms: [
      { label: 'cct', recipe: 'cct' },
      { label: 'cct+swa', recipe: 'cct', sets: ['swa.enabled=true', 'swa.swaStart=0.5', 'swa.unit=step', 'swa.every=2'] },
    ],
  },
};

/** Per arm: every metric's mean, std and 95% CI over seeds. */
export interface BenchRow {
  label: string;
  recipe: string;
  seeds: number[];
  runs: string[];
  trainable: number;
  metrics: Record<string, { mean: number; std: number; halfWidth: number; values: number[] }>;
}

/** Options of {@link benchCommand}. */
export interface BenchOptions {
  seeds: number[];
  set?: string[];
  out?: string;
  backend?: string;
  log?: (l: string) => void;
}

/**
 * `lel bench <suite>`: every arm × seed as its own run (`<out>/<arm>-seed<s>`, reused when already finished, resumed
 * when interrupted), then `bench.json`, `bench.md` (mean ± 95% CI per metric) and a comparison `report.html`.
 */
export async function benchCommand(suiteName: string, options: BenchOptions): Promise<{ rows: BenchRow[]; markdown: string; dir: string }> {
  const suite = BENCH_SUITES[suiteName];
  if (!suite) throw new Error(`unknown bench suite "${suiteName}"; available: ${Object.keys(BENCH_SUITES).join(', ')}`);
  if (options.seeds.length === 0 || options.seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error(`--seeds: give non-negative integers, got ${options.seeds.join(',')}`);
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const dir = options.out ?? path.join('runs', `bench-${suiteName}`);
  fs.mkdirSync(dir, { recursive: true });
  const rows: BenchRow[] = [];
  const runDirs: string[] = [];
  for (const arm of suite.arms) {
    const summaries: RunSummary[] = [];
    const runs: string[] = [];
    for (const seed of options.seeds) {
      const out = path.join(dir, `${arm.label}-seed${seed}`);
      let summary: RunSummary | undefined;
      if (fs.existsSync(path.join(out, 'summary.json'))) {
        summary = readSummary(out);
        log(`[bench] ${arm.label} seed ${seed}: reusing ${out}`);
      } else {
        log(`[bench] ${arm.label} seed ${seed} → ${out}`);
        const resume = fs.existsSync(path.join(out, 'checkpoints', 'last')) ? 'last' : undefined;
        const r = await trainCommand(arm.recipe, {
          set: [...(arm.sets ?? []).map((x) => x.replaceAll('{dir}', dir).replaceAll('{seed}', String(seed))), `seed=${seed}`, `data.seed=${seed}`, ...(options.set ?? [])],
          out,
          ...(resume ? { resume } : {}),
          backend: options.backend,
          progress: 'none',
          noReport: true,
          log,
        });
        if (r.interrupted || !r.summary) throw new Error(`bench interrupted during ${out}; run the same command again to continue`);
        summary = r.summary;
      }
      summaries.push(summary);
      runs.push(out);
      runDirs.push(out);
    }
    const metrics: BenchRow['metrics'] = {};
    for (const k of Object.keys(summaries[0]!.metrics)) {
      const values = summaries.map((s) => s.metrics[k]!).filter((v) => Number.isFinite(v));
      const mean = values.reduce((a, b) => a + b, 0) / values.length;
      const std = values.length > 1 ? Math.sqrt(values.reduce((a, b) => a + (b - mean) ** 2, 0) / (values.length - 1)) : 0;
      const halfWidth = values.length > 1 ? meanConfidenceInterval(values).halfWidth : 0;
      metrics[k] = { mean, std, halfWidth, values };
    }
    rows.push({ label: arm.label, recipe: arm.recipe, seeds: options.seeds, runs, trainable: summaries[0]!.params.trainable, metrics });
  }
  const first = readSummary(rows[0]!.runs[0]!);
  const main = headline(first);
  const keys = [main, ...Object.keys(rows[0]!.metrics).filter((k) => k !== main)];
  const cell = (m: { mean: number; halfWidth: number } | undefined) => (m ? `${m.mean.toFixed(4)}${options.seeds.length > 1 ? ` ± ${m.halfWidth.toFixed(4)}` : ''}` : '—');
  const markdown = [
    `**${suiteName}** — ${suite.description}. Seeds ${options.seeds.join(', ')}; mean${options.seeds.length > 1 ? ' ± 95% CI (Student t)' : ''}. Generated by \`lel bench ${suiteName}\`.`,
    '',
    `| arm | recipe | trainable params | ${keys.join(' | ')} |`,
    `|---|---|---:|${keys.map(() => '---:').join('|')}|`,
    ...rows.map((r) => `| ${r.label} | ${r.recipe} | ${r.trainable.toLocaleString('en-US')} | ${keys.map((k) => cell(r.metrics[k])).join(' | ')} |`),
  ].join('\n');
  writeFileAtomicSync(path.join(dir, 'bench.json'), JSON.stringify({ suite: suiteName, description: suite.description, seeds: options.seeds, overrides: options.set ?? [], rows }, null, 2) + '\n');
  writeFileAtomicSync(path.join(dir, 'bench.md'), markdown + '\n');
  writeRunReport(runDirs, path.join(dir, 'report.html'), `lel bench ${suiteName}`);
  log(`[bench] wrote ${path.join(dir, 'bench.md')}, bench.json and report.html`);
  return { rows, markdown, dir };
}
