// `pnpm bench`: ms per training step, GFLOP/s and peak memory of the seg net and the transformer on every
// installed tfjs backend, as JSON lines (stdout) and a table (stderr).
//   --backends wasm,cpu  --models seg,tx  --steps 7  --warmup 2  --modes lel,stock  --profile
// `stock` = tfjs's own gradients (with LEL's kernels for what wasm lacks, else a conv net cannot train);
// `lel` = LEL's gradients. Each (backend, model, mode) runs in this process, one after another.
import { installTfjsEsmHook } from '../src/kernels/tfjs-esm-hook';

// Plain Node cannot load tfjs-core's gradient registrations without this hook; everything that imports
// them is loaded dynamically below, after it.
installTfjsEsmHook();
const { installedBackends, useBackend } = await import('../src/backend');
const { registerLelKernels, setLelGradients } = await import('../src/kernels/register');
const { BenchAdam } = await import('./adam');
const { median, profileStep, trainStep } = await import('./harness');
const { MODELS } = await import('./models');

/** One benchmark result row. */
export interface BenchRow {
  engine: string;
  backend: string;
  mode: string;
  model: string;
  /** Median wall-clock ms per step. */
  msPerStep: number;
  /** Median CPU ms per step of this process (user + system): robust to other processes' load. */
  cpuMsPerStep?: number;
  gflops: number;
  peakTensorMB?: number;
  maxRssMB: number;
  steps: number;
  lossFirst: number;
  lossLast: number;
  profile?: { name: string; ms: number; pct: number }[];
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

/**
 * Run the tfjs benchmarks. The modes of one (backend, model) are interleaved step by step (stock, lel,
 * stock, lel, …) so that load from other processes hits them alike; rows are printed as JSON lines.
 */
export async function runTfjsBench(opts: { backends: string[]; models: string[]; modes: string[]; steps: number; warmup: number; profile: boolean }): Promise<BenchRow[]> {
  registerLelKernels();
  const rows: BenchRow[] = [];
  for (const backend of opts.backends) {
    await useBackend(backend as never);
    registerLelKernels();
    for (const modelName of opts.models) {
      const runs = opts.modes.map((mode) => {
        const model = MODELS[modelName]!(1);
        return { mode, model, opt: new BenchAdam(model.params), ms: [] as number[], cpu: [] as number[], first: NaN, last: NaN };
      });
      for (let i = 0; i < opts.warmup + opts.steps; i++) {
        for (const r of runs) {
          setLelGradients(r.mode === 'lel');
          const c0 = process.cpuUsage();
          const t0 = performance.now();
          const loss = trainStep(r.model, r.opt);
          const dt = performance.now() - t0;
          const c = process.cpuUsage(c0);
          if (i === 0) r.first = loss;
          r.last = loss;
          if (i >= opts.warmup) {
            r.ms.push(dt);
            r.cpu.push((c.user + c.system) / 1000);
          }
        }
      }
      for (const r of runs) {
        setLelGradients(r.mode === 'lel');
        const prof = opts.profile ? await profileStep(r.model, r.opt) : undefined;
        const total = prof ? prof.kernels.reduce((a, k) => a + k.ms, 0) : 0;
        const ms = median(r.ms);
        const row: BenchRow = {
          engine: 'tfjs',
          backend,
          mode: r.mode,
          model: modelName,
          msPerStep: Math.round(ms * 10) / 10,
          cpuMsPerStep: Math.round(median(r.cpu) * 10) / 10,
          gflops: Math.round((r.model.flopsPerStep / ms / 1e6) * 100) / 100,
          maxRssMB: Math.round(process.resourceUsage().maxRSS / 1024),
          steps: r.ms.length,
          lossFirst: r.first,
          lossLast: r.last,
        };
        if (prof) {
          row.peakTensorMB = Math.round(prof.peakBytes / 2 ** 20);
          row.profile = prof.kernels.slice(0, 12).map((k) => ({ name: k.name, ms: Math.round(k.ms), pct: Math.round((1000 * k.ms) / total) / 10 }));
        }
        console.log(JSON.stringify(row));
        rows.push(row);
        r.opt.dispose();
        r.model.dispose();
      }
    }
  }
  setLelGradients(true);
  return rows;
}

/** A fixed-width table of rows (for stderr). */
export function formatTable(rows: BenchRow[], ratioTo?: (r: BenchRow) => BenchRow | undefined): string {
  const head = ['engine', 'backend', 'mode', 'model', 'ms/step', 'CPU ms/step', 'GFLOP/s', 'peak tensors MB', 'max RSS MB'];
  if (ratioTo) head.push('÷ torch 1T (wall)', '÷ torch 1T (CPU)');
  const lines = rows.map((r) => {
    const cells = [r.engine, r.backend, r.mode, r.model, r.msPerStep.toFixed(1), r.cpuMsPerStep?.toFixed(1) ?? '', r.gflops.toFixed(2), r.peakTensorMB?.toString() ?? '', r.maxRssMB.toString()];
    if (ratioTo) {
      const ref = ratioTo(r);
      cells.push(ref ? (r.msPerStep / ref.msPerStep).toFixed(2) + '×' : '');
      cells.push(ref?.cpuMsPerStep && r.cpuMsPerStep ? (r.cpuMsPerStep / ref.cpuMsPerStep).toFixed(2) + '×' : '');
    }
    return cells;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const fmt = (cells: string[]) => '| ' + cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ') + ' |';
  return [fmt(head), '|' + widths.map((w) => '-'.repeat(w + 2)).join('|') + '|', ...lines.map(fmt)].join('\n');
}

async function main(): Promise<void> {
  const installed = (await installedBackends()).filter((b) => b === 'wasm' || b === 'cpu' || b === 'tensorflow');
  const backends = arg('backends', installed.join(',')).split(',');
  const rows = await runTfjsBench({
    backends,
    models: arg('models', 'seg,tx').split(','),
    modes: arg('modes', 'lel').split(','),
    steps: Number(arg('steps', '7')),
    warmup: Number(arg('warmup', '2')),
    profile: process.argv.includes('--profile'),
  });
  console.error(formatTable(rows));
  for (const r of rows.filter((x) => x.profile)) {
    console.error(`\nprofile ${r.backend}/${r.mode}/${r.model}: ` + r.profile!.map((k) => `${k.name} ${k.pct}%`).join(', '));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) await main();
