// Resumable runner of the text-effects grids (one process, jobs in a fixed order, finished jobs skipped):
//
//   node --conditions=@lel/source --import tsx --import @lel/core/node-hook src/effects/text/run-grid.ts \
//     <setting> [--out /work/runs/text] [--encoder <HF BERT folder>] [--backend wasm] [--only <key regex>]
//
// settings: peft-sweep (dev-split learning-rate sweep), peft (the table, 5 seeds × N = 16, 64, 256 + ceiling),
// peft-long (full FT, BitFit, LoRA at N = 64 with 3 × the epochs: does the PEFT gap come from underfitting?),
// vib (VIBERT beside the table's full fine-tuning), swa (last iterate / SWA / EMA of one constant-rate run),
// kd (KD / Annealing-KD / Continuation-KD from the seed-0 ceiling on the unlabelled pool), probe (linear probes);
// `report` trains nothing: it writes <docs>/text-effects.md and .json from the stores in --out.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { useBackend } from '@lel/core';
import { writeFileAtomicSync } from '@lel/core/node';
import { pretrainedBertPath } from '@lel/models/node';
import { linearProbe } from './linear-probe';
import { epochsFor, LONG, PEFT_ARMS, type PeftArm } from './peft-arms';
import { runPeftJob } from './peft-job';
import { ResultStore } from './result-store';
import { runVibJob, VIB_BETAS, VIB_JOB } from './vib-job';
import { runSwaJob } from './swa-job';
import { KD_METHODS, runKdJob } from './kd-job';
import { CachedLogits } from '@lel/distill';
import { sentimentTask } from './sentiment-task';
import { textSettings, textTablesMarkdown } from './text-tables';

const { values: args, positionals } = parseArgs({
  args: process.argv.slice(2).filter((a) => a !== '--'),
  allowPositionals: true,
  options: {
    out: { type: 'string', default: '/work/runs/text' },
    encoder: { type: 'string', default: '' },
    backend: { type: 'string', default: 'wasm' },
    only: { type: 'string', default: '' },
    docs: { type: 'string', default: fileURLToPath(new URL('../../../../../docs', import.meta.url)) },
  },
});

/** The dev sweep's seed (one: the machine's budget; 300 dev sentences give a ±2.8-point standard error per run). */
export const SWEEP_SEEDS = [100];
/**
 * N at which the dev sweep runs: every table row uses the rate its arm's dev split chose at the largest swept N not
 * above the row's N (the N = 64 and N = 256 sweeps try each arm's pruned ladder, see `sweepLrs`; an arm's N = 256 rows
 * need its N = 256 sweep).
 */
export const SWEEP_N = [16, 64, 256];
/**
 * The all-label ceiling (the KD teacher) keeps the rate chosen at N = 16: it was trained, and its pool logits cached
 * and fingerprinted by that rate, before the N = 64 sweep existed.
 */
export const CEILING_SWEEP_N = 16;
export const SEEDS = [0, 1, 2, 3, 4];
export const GRID_N = [16, 64, 256];
/** N of the averaging and distillation tables: the PEFT table's grid. */
export const SWA_N = GRID_N;
export const KD_N = GRID_N;
/** The KD teacher is the all-label full fine-tuning of this seed (the ceiling row of the PEFT table). */
export const TEACHER_SEED = 0;

/** Where the KD teacher's logits on the training pool are cached. */
export function teacherLogitsPath(out: string): string {
  return path.join(out, `teacher-ceiling-s${TEACHER_SEED}.safetensors`);
}

/** What the teacher cache was made from (CachedLogits refuses a cache of another teacher). */
export function teacherFingerprint(lr: number): string {
  return `bert-l4-h256-lel/full/all/s${TEACHER_SEED}/lr${lr}/len${48}/pool1800`;
}

/**
 * The learning rates the dev sweep tries for `arm` at N per class: the full ladder at N = 16; at N = 64 and 256 the
 * ladder pruned by N = 16's dev accuracy (the ladder's two best neighbours there) to fit the machine's budget.
 */
export function sweepLrs(arm: PeftArm, perClass: number): number[] {
  return perClass <= 16 ? arm.lrs : (arm.lrsN64 ?? arm.lrs);
}

/** Key of a learning-rate sweep run. */
const peftSweepKey = (arm: string, n: number, seed: number, lr: number) => `peft-sweep/${arm}/n${n}/s${seed}/lr${lr}`;
/** Key of a VIB β sweep run (N = 16). */
const vibSweepKey = (seed: number, beta: number) => `vib-sweep/vib/n16/s${seed}/beta${beta}`;

/**
 * The candidate with the best mean dev accuracy over the sweep seeds (ties keep the earlier one); throws naming
 * `what(candidate)` when one of its sweep runs is not finished.
 */
function devWinner(sweep: ResultStore, candidates: readonly number[], key: (candidate: number, seed: number) => string, what: (candidate: number) => string): number {
  let best = { candidate: NaN, acc: -1 };
  for (const candidate of candidates) {
    const accs = SWEEP_SEEDS.map((s) => sweep.get(key(candidate, s))?.dev as { accuracy: number } | undefined);
    if (accs.some((a) => a === undefined)) throw new Error(`${what(candidate)} is not finished`);
    const mean = accs.reduce((t, a) => t + a!.accuracy, 0) / accs.length;
    if (mean > best.acc) best = { candidate, acc: mean };
  }
  return best.candidate;
}

/**
 * Learning rate of `arm` at `perClass` chosen on the dev split: best mean dev accuracy over the sweep seeds at the
 * largest swept N not above `perClass` (see {@link SWEEP_N}); the ceiling uses {@link CEILING_SWEEP_N}.
 */
export function chosenLr(sweep: ResultStore, arm: PeftArm, perClass: number | 'all'): number {
  const n = perClass === 'all' ? CEILING_SWEEP_N : ([...SWEEP_N].reverse().find((s) => s <= perClass) ?? SWEEP_N[0]!);
  return devWinner(sweep, sweepLrs(arm, n), (lr, s) => peftSweepKey(arm.label, n, s, lr), (lr) => `chosenLr: the sweep of ${arm.label} at N=${n}, lr ${lr}`);
}

/**
 * VIB's KL weight chosen on the dev split: best dev accuracy of the `vib-sweep` runs (ties keep the smaller β). The
 * `vib` rows were trained with {@link VIB_JOB}'s official β before the sweep existed; a sweep that prefers another β
 * stops the `vib` setting instead of mixing rows of two β under one key.
 */
export function chosenVibBeta(sweep: ResultStore): number {
  const beta = devWinner(sweep, VIB_BETAS, (b, s) => vibSweepKey(s, b), (b) => `chosenVibBeta: the VIB sweep at β ${b} (run-grid.ts vib-sweep)`);
  if (beta !== VIB_JOB.beta) throw new Error(`chosenVibBeta: the dev split prefers β ${beta} to the vib rows' β ${VIB_JOB.beta}: give the rows a β in their keys and rerun them`);
  return beta;
}

interface Job {
  key: string;
  run: () => Promise<Record<string, unknown>>;
}

function jobs(setting: string, encoderDir: string, out: string): Job[] {
  const task = sentimentTask();
  const list: Job[] = [];
  const full = PEFT_ARMS[0]!;
  if (setting === 'peft-sweep') {
    for (const n of SWEEP_N)
      for (const seed of SWEEP_SEEDS)
        for (const arm of PEFT_ARMS)
          for (const lr of sweepLrs(arm, n))
            list.push({ key: peftSweepKey(arm.label, n, seed, lr), run: async () => ({ arm: arm.label, perClass: n, seed, lr, ...(await runPeftJob({ encoderDir, task, arm, perClass: n, seed, lr, devOnly: true })) }) });
    return list;
  }
  if (setting === 'peft') {
    const sweep = new ResultStore(path.join(out, 'peft-sweep.jsonl'));
    for (const n of GRID_N)
      for (const seed of SEEDS)
        for (const arm of PEFT_ARMS)
          list.push({
            key: `peft/${arm.label}/n${n}/s${seed}`,
            run: async () => {
              const lr = chosenLr(sweep, arm, n);
              return { arm: arm.label, perClass: n, seed, lr, ...(await runPeftJob({ encoderDir, task, arm, perClass: n, seed, lr, devOnly: false })) };
            },
          });
    for (const seed of SEEDS)
      list.push({
        key: `peft/ceiling/all/s${seed}`,
        run: async () => {
          const lr = chosenLr(sweep, full, 'all');
          // Seed 0's ceiling is the KD teacher: its logits on the whole pool are cached for the kd setting.
          const poolLogits = seed === TEACHER_SEED ? { path: teacherLogitsPath(out), fingerprint: teacherFingerprint(lr) } : undefined;
          return { arm: 'full', perClass: 'all', seed, lr, ...(await runPeftJob({ encoderDir, task, arm: full, perClass: 'all', seed, lr, devOnly: false, poolLogits })) };
        },
      });
    return list;
  }
  const sweepStore = () => new ResultStore(path.join(out, 'peft-sweep.jsonl'));
  if (setting === 'peft-long') {
    const sweep = sweepStore();
    for (const seed of SEEDS)
      for (const arm of PEFT_ARMS.filter((a) => LONG.arms.includes(a.label)))
        list.push({
          key: `peft-long/${arm.label}/n${LONG.perClass}/s${seed}`,
          run: async () => {
            const lr = chosenLr(sweep, arm, LONG.perClass);
            const epochs = LONG.factor * epochsFor(LONG.perClass);
            return { arm: arm.label, perClass: LONG.perClass, seed, lr, epochs, ...(await runPeftJob({ encoderDir, task, arm, perClass: LONG.perClass, seed, lr, devOnly: false, epochs })) };
          },
        });
    return list;
  }
  if (setting === 'vib-sweep') {
    // VIB's KL weight on the dev split (N = 16, the sweep seed), at the full FT rate its table uses.
    const sweep = sweepStore();
    for (const seed of SWEEP_SEEDS)
      for (const beta of VIB_BETAS)
        list.push({ key: vibSweepKey(seed, beta), run: async () => { const lr = chosenLr(sweep, full, 16); return { arm: 'vib', perClass: 16, seed, lr, ...(await runVibJob({ encoderDir, task, perClass: 16, seed, lr, beta, devOnly: true })) }; } });
    return list;
  }
  if (setting === 'vib') {
    // VIBERT vs the PEFT table's full fine-tuning (its paired baseline: same seed, lr, batches, epochs).
    const sweep = sweepStore();
    const vibSweep = new ResultStore(path.join(out, 'vib-sweep.jsonl'));
    for (const n of GRID_N)
      for (const seed of SEEDS)
        list.push({ key: `vib/vib/n${n}/s${seed}`, run: async () => { const lr = chosenLr(sweep, full, n); return { arm: 'vib', perClass: n, seed, lr, ...(await runVibJob({ encoderDir, task, perClass: n, seed, lr, beta: chosenVibBeta(vibSweep) })) }; } });
    return list;
  }
  if (setting === 'swa') {
    const sweep = sweepStore();
    for (const n of SWA_N)
      for (const seed of SEEDS)
        list.push({ key: `swa/n${n}/s${seed}`, run: async () => { const lr = chosenLr(sweep, full, n); return { perClass: n, seed, lr, ...(await runSwaJob({ encoderDir, task, perClass: n, seed, lr })) }; } });
    return list;
  }
  if (setting === 'kd') {
    const sweep = sweepStore();
    let teacher: CachedLogits | undefined;
    const loadTeacher = async () => (teacher ??= await CachedLogits.load(teacherLogitsPath(out), { fingerprint: teacherFingerprint(chosenLr(sweep, full, 'all')) }));
    for (const n of KD_N)
      for (const seed of SEEDS)
        for (const method of Object.keys(KD_METHODS))
          list.push({
            key: `kd/${method}/n${n}/s${seed}`,
            run: async () => {
              // The student trains on ~1,800 pool rows: the full fine-tuning rate chosen at the largest swept N.
              const lr = chosenLr(sweep, full, 'all');
              return { arm: method, perClass: n, seed, lr, ...(await runKdJob({ encoderDir, task, perClass: n, seed, lr, method, teacher: await loadTeacher() })) };
            },
          });
    return list;
  }
  if (setting === 'probe') {
    // Linear probes of the shipped encoders (and of --encoder when given).
    const dirs = [pretrainedBertPath('bert-mini-lel'), pretrainedBertPath('bert-l4-h256-lel'), ...(args.encoder ? [args.encoder] : [])];
    for (const dir of dirs) list.push({ key: `probe/${path.basename(dir)}`, run: async () => ({ encoderDir: dir, ...(await linearProbe(dir, task)) }) });
    return list;
  }
  throw new Error(`unknown setting "${setting}" (peft-sweep, peft, peft-long, vib-sweep, vib, swa, kd, probe)`);
}

/** What the budget of the shared 2-core machine cut, printed above the tables. */
const BUDGET_NOTE =
  'Budget (one shared 2-core CPU, wasm backend, ≈ 2–5 min per run): the dev sweep ran once (seed 100), at N = 16 over a ' +
  'factor-of-3 ladder of three rates per arm and at N = 64 and N = 256 over the two neighbouring rates of that ladder best at N = 16 ' +
  '(for the arms with rows at that N); every row uses the rate chosen at the largest swept N not above its own (the ceiling and the KD students ' +
  'keep N = 16\'s choice); the tables cover the arms, N and seeds listed in them (the ceiling\'s seeds are stated on its headroom line).';

/** Writes the tables of every setting the stores in `out` hold (markdown + JSON, atomically). */
function report(out: string, docs: string): void {
  const results = textSettings(out);
  const backends = new Set(['peft', 'peft-long', 'vib', 'swa', 'kd'].flatMap((s) => new ResultStore(path.join(out, `${s}.jsonl`)).all().map((r) => String(r.backend))));
  const facts = {
    command: `node --conditions=@lel/source --import tsx --import @lel/core/node-hook src/effects/text/run-grid.ts report --out ${out} (in apps/lel)`,
    date: new Date().toISOString(),
    machine: `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, shared with other jobs`,
    backend: [...backends].join(', ') || 'none',
    preamble: BUDGET_NOTE,
  };
  fs.mkdirSync(docs, { recursive: true });
  writeFileAtomicSync(path.join(docs, 'text-effects.md'), textTablesMarkdown(results, facts));
  writeFileAtomicSync(path.join(docs, 'text-effects.json'), JSON.stringify({ facts, results }, null, 2) + '\n');
  console.error(`[report] ${results.length} settings → ${path.join(docs, 'text-effects.md')} (+ .json)`);
}

async function main(): Promise<void> {
  const setting = positionals[0];
  if (!setting) throw new Error('usage: run-grid.ts <setting|report> [--out dir] [--encoder dir] [--docs dir]');
  if (setting === 'report') return report(args.out!, args.docs!);
  await useBackend(args.backend as 'wasm' | 'cpu');
  const encoderDir = args.encoder || pretrainedBertPath('bert-l4-h256-lel');
  const store = new ResultStore(path.join(args.out!, `${setting}.jsonl`));
  const only = args.only ? new RegExp(args.only) : null;
  const todo = jobs(setting, encoderDir, args.out!).filter((j) => !store.has(j.key) && (!only || only.test(j.key)));
  console.error(`[${setting}] ${todo.length} jobs to run (${store.all().length} done) with ${encoderDir}`);
  for (const [i, j] of todo.entries()) {
    const t0 = performance.now();
    const r = await j.run();
    store.add({ key: j.key, encoder: path.basename(encoderDir), backend: tf.getBackend(), date: new Date().toISOString(), ...r });
    const acc = (k: string) => (r[k] as { accuracy?: number } | undefined)?.accuracy;
    const scores = ['dev', 'test'].filter((k) => acc(k) !== undefined).map((k) => `${k} ${acc(k)!.toFixed(3)}`);
    console.error(`[${setting}] ${i + 1}/${todo.length} ${j.key}: ${scores.join(' ') || JSON.stringify(r).slice(0, 300)} (${((performance.now() - t0) / 1000).toFixed(0)} s, ${tf.memory().numTensors} tensors)`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
