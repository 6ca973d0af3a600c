// `node --import tsx bench/profile.ts --model tx [--kernel BatchMatMul] [--backend wasm] [--reps 3]`:
// where one training step of a benchmark model spends its time, by kernel (calls, ms per step), or for one
// kernel by input shapes (calls, ms, GFLOP/s for matMuls). Uses tf.profile: kernel times, not wall time.
import { installTfjsEsmHook } from '../src/kernels/tfjs-esm-hook';

installTfjsEsmHook();
const tf = await import('@tensorflow/tfjs-core');
const { useBackend } = await import('../src/backend');
const { registerLelKernels, setLelGradients } = await import('../src/kernels/register');
const { BenchAdam } = await import('./adam');
const { trainStep } = await import('./harness');
const { MODELS } = await import('./models');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const modelName = arg('model', 'tx');
const only = arg('kernel', '');
const reps = Number(arg('reps', '3'));
await useBackend(arg('backend', 'wasm') as never);
registerLelKernels();
setLelGradients(arg('mode', 'lel') === 'lel');
const model = MODELS[modelName]!(1);
const opt = new BenchAdam(model.params);
for (let i = 0; i < 3; i++) trainStep(model, opt);

const rows = new Map<string, { ms: number; calls: number; flops: number }>();
let total = 0;
let calls = 0;
for (let r = 0; r < reps; r++) {
  const info = await tf.profile(() => {
    trainStep(model, opt);
  });
  for (const k of info.kernels) {
    const ms = typeof k.kernelTimeMs === 'number' ? k.kernelTimeMs / reps : 0;
    total += ms;
    calls += 1 / reps;
    if (only && k.name !== only) continue;
    const key = only ? JSON.stringify(k.inputShapes) : k.name;
    const e = rows.get(key) ?? { ms: 0, calls: 0, flops: 0 };
    e.ms += ms;
    e.calls += 1 / reps;
    if (k.name === 'BatchMatMul' || k.name === '_FusedMatMul') {
      // 2·(output size)·(shared dim); the shared dim is the dim of `a` not in the output.
      const [a] = k.inputShapes as number[][];
      const o = k.outputShapes[0] as number[];
      const shared = a![a!.length - 1] === o[o.length - 2] ? a![a!.length - 2]! : a![a!.length - 1]!;
      e.flops += (2 * o.reduce((p, q) => p * q, 1) * shared) / reps;
    }
    rows.set(key, e);
  }
}
console.log(`${modelName} on ${tf.getBackend()}: ${calls.toFixed(0)} kernels, ${total.toFixed(1)} kernel ms per step${only ? `; ${only} by input shapes` : ''}`);
for (const [key, e] of [...rows.entries()].sort((x, y) => y[1].ms - x[1].ms).slice(0, 30)) {
  const gf = e.flops ? `  ${(e.flops / e.ms / 1e6).toFixed(1)} GFLOP/s` : '';
  console.log(`${key.padEnd(44)} ${e.calls.toFixed(0).padStart(5)} calls ${e.ms.toFixed(2).padStart(8)} ms ${((100 * e.ms) / total).toFixed(1).padStart(5)}%${gf}`);
}
model.dispose();
opt.dispose();
