// `pnpm bench:gpu`: one training step (forward, backward, Adam) of the reference models of issue 21 on the
// webgpu backend, LEL's kernels (`lel`) against stock tfjs-webgpu (`stock`: the same LEL modules composing
// tfjs ops), beside PyTorch on CUDA when present, else on every CPU thread. Per-kernel GPU time from
// tf.profile (timestamp queries). JSON lines on stdout, a table on stderr, and everything in --out.
//   --models seg-B16-64,tx-B16-T64,seg-B32-256,tx-B32-T128-D512-L4  --modes lel,stock  --steps 10  --warmup 3
//   --torch auto|cuda|cpu|none  --out bench-gpu.json  --no-profile  --label "H200"
// Needs a WebGPU adapter (in Node: npm `webgpu` + Vulkan/Metal/D3D12; without a GPU, Mesa lavapipe — figures
// from a software adapter are CPU emulation and say so in the output).
import { spawnSync } from 'node:child_process';
import { renameSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { installTfjsEsmHook } from '../src/kernels/tfjs-esm-hook';

installTfjsEsmHook();
const tf = await import('@tensorflow/tfjs-core');
const { initBackend } = await import('../src/backend');
const { registerLelKernels, setLelGradients } = await import('../src/kernels/register');
const { Adam } = await import('../src/optim/adam');
const { readScalar } = await import('../src/tensor-read');
const { GPU_BENCH_MODELS } = await import('./gpu-models');
type GpuBenchModel = import('./gpu-models').GpuBenchModel;
type NamedParameter = import('../src/optim/optimizer').NamedParameter;

const here = dirname(fileURLToPath(import.meta.url));

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}
const flag = (name: string) => process.argv.includes(`--${name}`);

/** One measured configuration. */
export interface GpuBenchRow {
  engine: 'tfjs-webgpu' | 'torch';
  mode: string;
  model: string;
  device: string;
  msPerStep?: number;
  minMs?: number;
  steps?: number;
  lossFirst?: number;
  lossLast?: number;
  /** Σ GPU kernel time of one profiled step (timestamp queries), ms. */
  gpuMs?: number;
  /** tfjs kernel calls per step. */
  kernels?: number;
  profile?: { name: string; calls: number; ms: number }[];
  error?: string;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** One training step; resolves to the loss (the read is the step's synchronisation point). */
async function trainStep(m: GpuBenchModel, params: NamedParameter[], opt: InstanceType<typeof Adam>): Promise<number> {
  const vars = params.map(([, p]) => p.variable);
  const { value, grads } = tf.variableGrads(m.loss, vars);
  opt.step(new Map(params.map(([n, p]) => [n, grads[p.variable.name]!] as [string, tf.Tensor])));
  tf.dispose(Object.values(grads));
  return readScalar(value, { dispose: true });
}

function setMode(mode: string): void {
  setLelGradients(mode === 'lel');
}

async function benchModel(name: string, modes: string[], steps: number, warmup: number, profile: boolean, device: string): Promise<GpuBenchRow[]> {
  const rows: GpuBenchRow[] = [];
  for (const mode of modes) {
    setMode(mode);
    let m: GpuBenchModel | undefined;
    let opt: InstanceType<typeof Adam> | undefined;
    const row: GpuBenchRow = { engine: 'tfjs-webgpu', mode, model: name, device };
    try {
      m = GPU_BENCH_MODELS[name]!();
      const params = m.module.trainableParameters();
      opt = new Adam(params, { lr: 1e-3 });
      const ms: number[] = [];
      for (let i = 0; i < warmup + steps; i++) {
        const t0 = performance.now();
        const loss = await trainStep(m, params, opt);
        const dt = performance.now() - t0;
        if (i === 0) row.lossFirst = loss;
        row.lossLast = loss;
        if (i >= warmup) ms.push(dt);
        process.stderr.write(`  ${name} ${mode} step ${i + 1}/${warmup + steps}: ${dt.toFixed(1)} ms, loss ${loss.toFixed(4)}\n`);
      }
      row.msPerStep = +median(ms).toFixed(2);
      row.minMs = +Math.min(...ms).toFixed(2);
      row.steps = steps;
      if (profile) {
        const info = await tf.profile(async () => {
          await trainStep(m!, params, opt!);
        });
        const by = new Map<string, { calls: number; ms: number }>();
        for (const k of info.kernels) {
          const e = by.get(k.name) ?? { calls: 0, ms: 0 };
          e.calls++;
          e.ms += typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs : 0;
          by.set(k.name, e);
        }
        row.kernels = info.kernels.length;
        row.gpuMs = +[...by.values()].reduce((a, e) => a + e.ms, 0).toFixed(2);
        row.profile = [...by.entries()].map(([k, e]) => ({ name: k, calls: e.calls, ms: +e.ms.toFixed(3) })).sort((a, b) => b.ms - a.ms);
      }
    } catch (e) {
      row.error = (e as Error).message.slice(0, 400);
    } finally {
      opt?.dispose();
      m?.dispose();
    }
    rows.push(row);
    console.log(JSON.stringify(row));
  }
  setMode('lel');
  return rows;
}

/** PyTorch's rows (torch_gpu.py), or one row saying why there are none. */
function runTorch(models: string[], which: string, steps: number, warmup: number): GpuBenchRow[] {
  if (which === 'none') return [];
  const python = process.env.LEL_PYTHON ?? '/usr/bin/python3';
  const args = [join(here, 'torch_gpu.py'), '--models', models.join(','), '--device', which, '--steps', String(steps), '--warmup', String(warmup)];
  const r = spawnSync(python, args, { encoding: 'utf8', maxBuffer: 1 << 24, env: { ...process.env, OMP_NUM_THREADS: String(cpus().length) } });
  if (r.status !== 0) return [{ engine: 'torch', mode: which, model: '*', device: 'n/a', error: `torch_gpu.py failed: ${(r.stderr || r.error?.message || '').slice(-400)}` }];
  const rows = r.stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as GpuBenchRow);
  for (const row of rows) console.log(JSON.stringify(row));
  return rows;
}

function table(rows: GpuBenchRow[], models: string[]): string {
  const lines = ['model | mode | ms/step | GPU ms (profiled) | kernels/step | top kernels', '---|---|---|---|---|---'];
  for (const model of models) {
    for (const r of rows.filter((x) => x.model === model || (x.engine === 'torch' && x.model === model))) {
      const top = (r.profile ?? []).slice(0, 4).map((k) => `${k.name} ${k.ms.toFixed(1)}`).join(', ');
      const label = r.engine === 'torch' ? `torch ${r.device}` : r.mode;
      lines.push(`${model} | ${label} | ${r.error ? `error: ${r.error.slice(0, 90)}` : (r.msPerStep ?? NaN).toFixed(1)} | ${r.gpuMs?.toFixed(1) ?? ''} | ${r.kernels ?? ''} | ${top}`);
    }
  }
  return lines.join('\n');
}

const models = arg('models', Object.keys(GPU_BENCH_MODELS).join(',')).split(',');
const modes = arg('modes', 'lel,stock').split(',');
const steps = Number(arg('steps', '10'));
const warmup = Number(arg('warmup', '3'));
const profile = !flag('no-profile');
const out = arg('out', '');
const torchWhich = arg('torch', 'auto');

process.env.LEL_BACKEND = 'webgpu';
const info = await initBackend();
registerLelKernels();
const adapter = info.adapter!;
const device = `${adapter.description || adapter.device}${adapter.software ? ' (software adapter: CPU emulation, not GPU figures)' : ''}`;
const started = new Date().toISOString();
const rows: GpuBenchRow[] = [];
for (const name of models) {
  if (!GPU_BENCH_MODELS[name]) throw new Error(`unknown model ${name}; known: ${Object.keys(GPU_BENCH_MODELS).join(', ')}`);
  rows.push(...(await benchModel(name, modes, steps, warmup, profile, device)));
}
const torchDevice = torchWhich === 'auto' ? 'auto' : torchWhich;
rows.push(...runTorch(models, torchDevice, steps, warmup));
const result = { date: started, label: arg('label', ''), adapter, node: process.version, rows };
if (out) {
  writeFileSync(`${out}.tmp`, JSON.stringify(result, null, 1));
  renameSync(`${out}.tmp`, out);
}
process.stderr.write(`\nWebGPU adapter: ${device}\n${table(rows, models)}\n`);
process.exit(0);
