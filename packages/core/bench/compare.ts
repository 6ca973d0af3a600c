// `pnpm bench:compare`: the seg net and the transformer timed in tfjs on each installed backend and, when
// Debian's python3-torch is present, in PyTorch with 1 and 2 threads, in one run. Prints ms/step, the
// tfjs ÷ PyTorch(1 thread) ratio (of wall time, and of CPU time, which other processes' load barely
// affects), GFLOP/s and memory as a table (stderr) and JSON (stdout).
//   --backends wasm,cpu  --models seg,tx  --steps 7  --warmup 2  --modes stock,lel  --cpu-steps 3
// PyTorch runs before and after the tfjs runs (other processes load this machine unevenly); its figure
// is the median of both runs' steps.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installTfjsEsmHook } from '../src/kernels/tfjs-esm-hook';

installTfjsEsmHook();
const { installedBackends } = await import('../src/backend');
const { runTfjsBench, formatTable } = await import('./bench');
const { median } = await import('./harness');
type BenchRow = import('./bench').BenchRow;

const PYTHON = '/usr/bin/python3';
const here = dirname(fileURLToPath(import.meta.url));

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/** Whether `/usr/bin/python3 -c "import torch"` works. */
export function torchAvailable(): boolean {
  return spawnSync(PYTHON, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0;
}

interface TorchRow extends BenchRow {
  stepsMs: number[];
  stepsCpuMs: number[];
  blas?: string;
  torch?: string;
}

/** Run torch_bench.py with `threads` threads; one row per model. */
function runTorch(models: string[], threads: number, steps: number, warmup: number): TorchRow[] {
  const args = [join(here, 'torch_bench.py'), '--models', models.join(','), '--threads', String(threads), '--steps', String(steps), '--warmup', String(warmup)];
  // channels_last is PyTorch's fast CPU layout for multi-threaded convolution (the reference figures used it).
  if (threads > 1) args.push('--channels-last');
  const env = { ...process.env, OMP_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads) };
  const r = spawnSync(PYTHON, args, { encoding: 'utf8', env, maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`torch_bench.py failed: ${r.stderr}`);
  return r.stdout.trim().split('\n').map((l) => JSON.parse(l) as TorchRow);
}

/** Merge two torch runs of the same configuration: the median over all their steps. */
function mergeTorch(a: TorchRow[], b: TorchRow[]): TorchRow[] {
  return a.map((r) => {
    const o = b.find((x) => x.model === r.model)!;
    const all = [...r.stepsMs, ...o.stepsMs];
    const cpu = [...r.stepsCpuMs, ...o.stepsCpuMs];
    const ms = median(all);
    return {
      ...r,
      msPerStep: Math.round(ms * 10) / 10,
      cpuMsPerStep: Math.round(median(cpu) * 10) / 10,
      gflops: Math.round(((r.gflops * r.msPerStep) / ms) * 100) / 100,
      steps: all.length,
      stepsMs: all,
      stepsCpuMs: cpu,
      maxRssMB: Math.max(r.maxRssMB, o.maxRssMB),
    };
  });
}

async function main(): Promise<void> {
  const models = arg('models', 'seg,tx').split(',');
  const steps = Number(arg('steps', '7'));
  const warmup = Number(arg('warmup', '2'));
  const installed = (await installedBackends()).filter((b) => b === 'wasm' || b === 'cpu' || b === 'tensorflow');
  const backends = arg('backends', installed.join(',')).split(',');
  const modes = arg('modes', 'stock,lel').split(',');
  const hasTorch = torchAvailable();
  if (!hasTorch) console.error('[compare] PyTorch not found (/usr/bin/python3 -c "import torch" failed): skipping the PyTorch column');
  const torchBefore = hasTorch ? [1, 2].map((t) => runTorch(models, t, steps, warmup)) : [];
  const rows: BenchRow[] = [];
  for (const backend of backends) {
    // tfjs-cpu takes tens of seconds per seg step: fewer steps there unless asked (--cpu-steps).
    const n = backend === 'cpu' ? Number(arg('cpu-steps', '3')) : steps;
    rows.push(...(await runTfjsBench({ backends: [backend], models, modes, steps: n, warmup: backend === 'cpu' ? 1 : warmup, profile: process.argv.includes('--profile') })));
  }
  const torchRows = hasTorch ? [1, 2].flatMap((t, i) => mergeTorch(torchBefore[i]!, runTorch(models, t, steps, warmup))) : [];
  for (const r of torchRows) console.log(JSON.stringify({ ...r, stepsMs: undefined, stepsCpuMs: undefined }));
  const ref = (r: BenchRow) => torchRows.find((t) => t.model === r.model && t.backend === 'cpu 1T');
  const all = [...rows, ...torchRows];
  console.error('\n' + formatTable(all, hasTorch ? ref : undefined));
  if (torchRows[0]?.blas) console.error(`\nPyTorch ${torchRows[0].torch}, BLAS: ${torchRows[0].blas}`);
  const ratio = (a?: number, b?: number) => (a && b ? Math.round((a / b) * 100) / 100 : null);
  const summary = all.map((r) => ({
    engine: r.engine,
    backend: r.backend,
    mode: r.mode,
    model: r.model,
    msPerStep: r.msPerStep,
    cpuMsPerStep: r.cpuMsPerStep,
    gflops: r.gflops,
    ratioToTorch1T: ratio(r.msPerStep, ref(r)?.msPerStep),
    cpuRatioToTorch1T: ratio(r.cpuMsPerStep, ref(r)?.cpuMsPerStep),
  }));
  console.log(JSON.stringify({ summary }));
}

await main();
