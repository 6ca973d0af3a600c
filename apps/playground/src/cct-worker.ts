// One training arm in a Web Worker (the page stays responsive): CCT on @lel/core's method contract, trained by
// core's in-memory `fit` through the packages' browser entries. Every step's loss, and after every evaluation
// the validation mIoU and a few predicted masks, are posted to the page; at the end, the weights as safetensors.
import * as tf from '@tensorflow/tfjs-core';
import { runMethod, setGlobalSeed, type Callback } from '@lel/core';
import { cct, segmentationSet, SmallConvEncoder, type CctData, type CctModel } from '@lel/cct';
import { startBackend } from './backend';
import { ENCODER_WIDTHS, playgroundConfig } from './config';
import type { TrainRequest, WorkerMessage } from './protocol';
import { errorText, safetensorsOf, stepReporter } from './weights';

const post = (m: WorkerMessage, transfer: Transferable[] = []) => (self as unknown as Worker).postMessage(m, transfer);

async function train(req: TrainRequest): Promise<void> {
  const config = playgroundConfig({ ...req, numClasses: req.scenes.numClasses });
  const backend = await startBackend(req.backend);
  post({ type: 'ready', arm: req.arm, backend: backend.name });
  const scenes = req.scenes;
  // The encoder's initial weights are drawn from core's global generator when it is built (before runMethod seeds
  // its own): seed it from the request, so both arms start from the same weights and differ only by the method.
  setGlobalSeed(req.seed);
  const data: CctData = {
    encoder: new SmallConvEncoder({ widths: ENCODER_WIDTHS, outputStride: 2 }),
    labelled: segmentationSet(scenes, req.labelled, { rgb: true }),
    val: segmentationSet(scenes, req.val, { rgb: true }),
    ...(req.arm === 'cct' ? { unlabelled: segmentationSet(scenes, req.unlabelled, { rgb: true }) } : {}),
  };
  const shown = segmentationSet(scenes, req.shown, { rgb: true });
  let predictLabels: (() => Promise<Int32Array[]>) | undefined;
  const live: Callback<unknown> = {
    async onEvaluate(metrics, ctx) {
      const masks = predictLabels ? await predictLabels() : [];
      post({ type: 'eval', arm: req.arm, step: ctx.step, miou: metrics.miou ?? NaN, pixelAccuracy: metrics.pixelAccuracy ?? NaN, masks }, masks.map((m) => m.buffer));
    },
  };
  tf.engine().startScope();
  try {
    const run = await runMethod(cct, config, data, {
      progress: 'none',
      callbacks: [
        {
          onTrainStart(ctx) {
            const model = ctx.model as CctModel;
            predictLabels = async () => {
              const was = model.training;
              model.eval();
              const labels = tf.tidy(() => tf.argMax(model.forward(shown.images) as tf.Tensor4D, -1));
              model.train(was);
              const flat = (await labels.data()) as Int32Array;
              labels.dispose();
              const per = scenes.height * scenes.width;
              return req.shown.map((_, i) => flat.slice(i * per, (i + 1) * per));
            };
          },
        },
        live,
        stepReporter((s) => post({ type: 'step', arm: req.arm, ...s })),
      ],
    });
    const { bytes: weights, names } = await safetensorsOf(run.model.stateDict(), { format: 'lel-playground', method: req.arm === 'cct' ? 'cct' : 'cct-supervised', config: JSON.stringify(config) });
    run.model.dispose();
    post({ type: 'done', arm: req.arm, steps: run.result.steps, stopReason: run.result.stopReason, weights, tensorNames: names }, [weights.buffer]);
  } finally {
    tf.engine().endScope();
  }
}

self.onmessage = (e: MessageEvent<TrainRequest>) => {
  if (e.data?.type !== 'train') return;
  train(e.data).catch((err: unknown) => post({ type: 'error', arm: e.data.arm, message: errorText(err) }));
};
