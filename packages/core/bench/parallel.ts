// `node --import tsx bench/parallel.ts`: the data-parallel mode (src/parallel) with 1 and 2 worker
// threads on the seg net and the transformer, same full batch of 16, Adam on the main thread. Steps of the
// two configurations are interleaved; prints ms/step medians, the speed-up, as JSON lines and a table.
//   --models seg,tx  --steps 7  --warmup 2  --backend wasm
import { fileURLToPath } from 'node:url';
import { installTfjsEsmHook } from '../src/kernels/tfjs_esm_hook';

installTfjsEsmHook();
const tf = await import('@tensorflow/tfjs-core');
const { useBackend } = await import('../src/backend');
const { registerLelKernels } = await import('../src/kernels/register');
const { DataParallel } = await import('../src/parallel/data_parallel');
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
const module = fileURLToPath(new URL('./models.ts', import.meta.url));
registerLelKernels();
await useBackend('cpu'); // the main thread only averages and runs Adam
const lines: string[] = [];
for (const model of arg('models', 'seg,tx').split(',')) {
  const configs = await Promise.all(
    [1, 2].map(async (workers) => {
      const m = MODELS[model]!(1);
      const dp = await DataParallel.create({ module, exportName: 'createBenchTask', args: { model, seed: 1 }, workers, backend });
      return { workers, m, dp, opt: new BenchAdam(m.params), ms: [] as number[], loss: NaN };
    }),
  );
  for (let i = 0; i < warmup + steps; i++) {
    for (const c of configs) {
      const t0 = performance.now();
      const { loss, grads } = await c.dp.gradients(c.m.params, c.m.batchSize);
      c.opt.step(grads);
      tf.dispose(grads);
      if (i >= warmup) c.ms.push(performance.now() - t0);
      c.loss = loss;
    }
  }
  const [one, two] = configs.map((c) => ({ workers: c.workers, msPerStep: Math.round(median(c.ms) * 10) / 10, loss: c.loss }));
  const row = { engine: 'tfjs', backend, model, oneWorkerMs: one!.msPerStep, twoWorkersMs: two!.msPerStep, speedup: Math.round((one!.msPerStep / two!.msPerStep) * 100) / 100, lossOne: one!.loss, lossTwo: two!.loss, steps };
  console.log(JSON.stringify(row));
  lines.push(`| ${model} | ${backend} | ${row.oneWorkerMs} | ${row.twoWorkersMs} | ${row.speedup}× |`);
  for (const c of configs) {
    await c.dp.close();
    c.opt.dispose();
    c.m.dispose();
  }
}
console.error(['| model | backend | 1 worker ms/step | 2 workers ms/step | speed-up |', '|---|---|---|---|---|', ...lines].join('\n'));
