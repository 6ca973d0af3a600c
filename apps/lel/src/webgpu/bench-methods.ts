// `pnpm bench:gpu:methods`: each method's default model (the app recipes' defaults, as `lel train <recipe>` runs
// them) on the webgpu backend: ms per training step after a warm-up, and a per-kernel profile of one more step
// (tf.profile; GPU timestamp queries). Complements `pnpm bench:gpu` (@lel/core: the reference models, LEL vs stock
// tfjs-webgpu vs PyTorch). JSON lines on stdout, a table on stderr, everything in --out.
//   --recipes cct,arseg,…  (default: every recipe)  --backend webgpu  --warmup 2  --steps 3  --out bench-gpu-methods.json
//   --set key=value (repeatable; applied to every recipe)  --bert <folder> (the text recipes' `bert.from`: the GPU
//   kit ships bert-mini-lel beside its bundle, where @lel/models' own copy is not)  --reference cpu|wasm (train each
//   recipe the same steps there too and report the largest relative difference of the losses: a correctness check)
// The GPU kit (`pnpm bench:gpu:kit`, @lel/core) bundles it and runs it after the reference models.
// Only the training steps are measured: data preparation, a KD teacher's training (cut to `teacher.steps=2` here)
// and the final evaluation are not. Figures from a software adapter (lavapipe, SwiftShader) are CPU emulation, not
// GPU figures; the output says which adapter ran.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { initBackend, type BackendName } from '@lel/core';
import { writeFileAtomicSync } from '@lel/core/node';
import { RECIPES } from '../recipes';
import { trainCommand } from '../train';
import { stepProfiler, type StepProfile } from './step-profile';

/** One recipe's row. */
export interface MethodBenchRow extends Partial<StepProfile> {
  recipe: string;
  package: string;
  /** The run banner's backend line (names the backend and, on webgpu, the adapter). */
  backend: string;
  error?: string;
  /**
   * The same training (recipe, config, seed, steps) on a reference backend (`--reference`, e.g. cpu): its losses and
   * the largest relative difference from this row's, step by step (float32 rounding: about 1e-6 to 1e-4 after a few
   * steps; a wrong kernel shows as far more).
   */
  reference?: { backend: string; losses: number[]; maxRelDiff: number; error?: string };
}

/** The backend line of a run's banner (names the backend and, on webgpu, the adapter). */
function bannerBackend(lines: string[]): string | undefined {
  const banner = lines.flatMap((l) => l.split('\n')).find((l) => l.trim().startsWith('backend '));
  return banner?.trim().replace(/^backend\s+/, '');
}

/** Largest |a − b| / max(|b|, 1e-6) over the steps both have (NaN when either has none or the counts differ). */
export function maxRelDiff(a: readonly number[], b: readonly number[]): number {
  if (a.length === 0 || a.length !== b.length) return NaN;
  return Math.max(...a.map((x, i) => Math.abs(x - b[i]!) / Math.max(Math.abs(b[i]!), 1e-6)));
}

/** Overrides that keep a benchmark run to its measured steps (a KD teacher would otherwise train for its full budget first). */
const RECIPE_SETS: Record<string, string[]> = { kd: ['teacher.steps=2'], ckd: ['teacher.steps=2'], akd: ['teacher.steps=2'] };

/** Run the benchmark; returns the rows (also printed as JSON lines). */
export async function benchMethods(o: { recipes: string[]; backend: string; warmup: number; steps: number; sets: string[]; bert?: string; reference?: string; log: (l: string) => void }): Promise<MethodBenchRow[]> {
  const rows: MethodBenchRow[] = [];
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-bench-gpu-methods-'));
  try {
    for (const name of o.recipes) {
      const recipe = RECIPES.find((r) => r.name === name);
      if (!recipe) throw new Error(`unknown recipe "${name}"; available: ${RECIPES.map((r) => r.name).join(', ')}`);
      const profiler = stepProfiler({ warmup: o.warmup, steps: o.steps });
      const row: MethodBenchRow = { recipe: name, package: recipe.package, backend: o.backend };
      const lines: string[] = [];
      const budget = o.warmup + o.steps + 1;
      const bert = o.bert !== undefined && recipe.task === 'text-classification' ? [`bert.from=${o.bert}`] : [];
      const sets = [...(RECIPE_SETS[name] ?? []), ...bert, `train.maxSteps=${budget}`, `train.evalEvery=${budget}`, `train.checkpointEvery=${budget}`, `train.logEvery=${budget}`, ...o.sets];
      o.log(`[bench] ${name}: ${o.warmup} warm-up + ${o.steps} timed + 1 profiled step(s) on ${o.backend}`);
      try {
        await trainCommand(name, { backend: o.backend, set: sets, out: path.join(dir, name), progress: 'none', noReport: true, log: (l) => lines.push(l), callbacks: [profiler.callback] });
        Object.assign(row, await profiler.result());
      } catch (e) {
        Object.assign(row, await profiler.result().catch(() => ({})));
        row.error = (e as Error).message.slice(0, 400);
      }
      row.backend = bannerBackend(lines) ?? row.backend;
      if (o.reference !== undefined) {
        // Only its losses are kept: the reference run is not timed.
        o.log(`[bench] ${name}: the same ${budget} step(s) on ${o.reference} (reference losses)`);
        const ref = stepProfiler({ warmup: budget, steps: 0 });
        row.reference = { backend: o.reference, losses: [], maxRelDiff: NaN };
        const refLines: string[] = [];
        try {
          await trainCommand(name, { backend: o.reference, set: sets, out: path.join(dir, `${name}-reference`), progress: 'none', noReport: true, log: (l) => refLines.push(l), callbacks: [ref.callback] });
        } catch (e) {
          row.reference.error = (e as Error).message.slice(0, 400);
        }
        row.reference.backend = bannerBackend(refLines) ?? o.reference;
        row.reference.losses = (await ref.result().catch(() => ({ losses: [] as number[] }))).losses;
        row.reference.maxRelDiff = maxRelDiff(row.losses ?? [], row.reference.losses);
      }
      rows.push(row);
      console.log(JSON.stringify(row));
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}

/** The table `bench:gpu:methods` prints. */
export function methodTable(rows: MethodBenchRow[]): string {
  const reference = rows.find((r) => r.reference)?.reference?.backend.split(' ')[0];
  const lines = [`recipe | package | ms/step | kernel ms (profiled step) | kernels/step | loss, first → last step${reference ? ` | max rel. loss diff vs ${reference}` : ''} | top kernels`, `---|---|---|---|---|---|${reference ? '---|' : ''}---`];
  for (const r of rows) {
    const top = (r.profile ?? []).slice(0, 4).map((k) => `${k.name} ${k.ms.toFixed(1)}`).join(', ');
    const ms = r.error && r.msPerStep === undefined ? `error: ${r.error.slice(0, 90)}` : (r.msPerStep ?? NaN).toFixed(1);
    const losses = r.losses?.length ? `${r.losses[0]!.toFixed(5)} → ${r.losses.at(-1)!.toFixed(5)}` : '';
    const diff = reference ? ` | ${r.reference?.error ? `error: ${r.reference.error.slice(0, 60)}` : (r.reference?.maxRelDiff ?? NaN).toExponential(1)}` : '';
    lines.push(`${r.recipe} | ${r.package} | ${ms} | ${r.kernelMs?.toFixed(1) ?? ''} | ${r.kernels ?? ''} | ${losses}${diff} | ${top}`);
  }
  return lines.join('\n');
}

function args(argv: string[]) {
  const get = (name: string, fallback: string) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 && argv[i + 1] ? argv[i + 1]! : fallback;
  };
  const sets = argv.flatMap((a, i) => (a === '--set' && argv[i + 1] ? [argv[i + 1]!] : []));
  return {
    recipes: get('recipes', RECIPES.map((r) => r.name).join(',')).split(',').filter(Boolean),
    backend: get('backend', 'webgpu'),
    warmup: Number(get('warmup', '2')),
    steps: Number(get('steps', '3')),
    out: get('out', ''),
    bert: argv.includes('--bert') ? path.resolve(get('bert', '')) : undefined,
    reference: argv.includes('--reference') ? get('reference', 'cpu') : undefined,
    sets,
  };
}

/** The command line of `bench:gpu:methods` (`argv` without node and the script); returns the exit status. */
export async function benchMethodsMain(argv: string[]): Promise<number> {
  const a = args(argv);
  const log = (l: string) => process.stderr.write(l + '\n');
  const started = new Date().toISOString();
  // The backend line names the WebGPU adapter (the runs' banners do not).
  let backendLine = a.backend;
  const info = await initBackend({ backend: a.backend as BackendName, log: (l) => (backendLine = l.replace(/^\[lel\] backend: /, '')) });
  const rows = await benchMethods({ ...a, log });
  const result = { date: started, backend: backendLine, adapter: info.adapter ?? null, node: process.version, warmup: a.warmup, steps: a.steps, rows };
  if (a.out) writeFileAtomicSync(a.out, JSON.stringify(result, null, 1));
  const software = info.adapter?.software ? ' — a software adapter: CPU emulation, not GPU figures' : '';
  log(`\nbackend: ${backendLine}${software}\n${methodTable(rows)}`);
  return rows.some((r) => r.error || r.reference?.error) ? 1 : 0;
}
