// `node --import tsx bench/parallel.ts`: the data-parallel mode (src/parallel) with 1 and 2 worker
// threads on the seg net and the transformer, same full batch of 16, Adam. Modes:
//   step      — DataParallel.step: each replica runs Adam itself, gradients averaged in shared memory;
//   gradients — DataParallel.gradients + Adam on the main thread (weights sent every step).
// Steps of the configurations are interleaved; prints ms/step medians and the speed-up of 2 over 1
// worker, as JSON lines and a table.
//   --models seg,tx  --modes step,gradients  --batch 16  --steps 7  --warmup 2  --backend wasm  --main wasm
import { fileURLToPath } from 'node:url';
import { installTfjsEsmHook } from '../src/kernels/tfjs-esm-hook';

installTfjsEsmHook();
const tf = await import('@tensorflow/tfjs-core');
const { useBackend } = await import('../src/backend');
const { registerLelKernels } = await import('../src/kernels/register');
const { DataParallel } = await import('../src/parallel/data-parallel');
const { BenchAdam } = await import('./adam');
const { median } = await import('./harness');
const { MODELS } = await import('./models');

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
}

const steps = Number(arg('steps', '7'));
const warmup = Number(arg('warmup', '2'));
const backend = arg('backend', 'wasm') as 'wasm' | 'cpu';
const batch = Number(arg('batch', '16'));
const module = fileURLToPath(new URL('./models.ts', import.meta.url));
registerLelKernels();
// The main thread runs Adam only in the `gradients` mode.
await useBackend(arg('main', 'wasm') as never);
registerLelKernels();
const lines: string[] = [];
for (const model of arg('models', 'seg,tx').split(',')) {
  for (const mode of arg('modes', 'step,gradients').split(',')) {
    const configs = await Promise.all(
      [1, 2].map(async (workers) => {
        const m = MODELS[model]!(1, batch);
        const dp = await DataParallel.create({ module, exportName: 'createBenchTask', args: { model, seed: 1, batch }, workers, backend });
        return { workers, m, dp, opt: new BenchAdam(m.params), ms: [] as number[], loss: NaN };
      }),
    );
    for (let i = 0; i < warmup + steps; i++) {
      for (const c of configs) {
        const t0 = performance.now();
        if (mode === 'step') {
          c.loss = (await c.dp.step(c.m.batchSize)).loss;
        } else {
          const { loss, grads } = await c.dp.gradients(c.m.params, c.m.batchSize);
          c.opt.step(grads);
          tf.dispose(grads);
          c.loss = loss;
        }
        if (i >= warmup) c.ms.push(performance.now() - t0);
      }
    }
    const [one, two] = configs.map((c) => Math.round(median(c.ms) * 10) / 10);
    const row = { engine: 'tfjs', backend, model, batch, mode, oneWorkerMs: one!, twoWorkersMs: two!, speedup: Math.round((one! / two!) * 100) / 100, lossOne: configs[0]!.loss, lossTwo: configs[1]!.loss, steps };
    console.log(JSON.stringify(row));
    lines.push(`| ${model} | ${batch} | ${mode} | ${backend} | ${row.oneWorkerMs} | ${row.twoWorkersMs} | ${row.speedup}× |`);
    for (const c of configs) {
      await c.dp.close();
      c.opt.dispose();
      c.m.dispose();
    }
  }
}
console.error(['| model | batch | mode | backend | 1 worker ms/step | 2 workers ms/step | speed-up |', '|---|---|---|---|---|---|---|', ...lines].join('\n'));
