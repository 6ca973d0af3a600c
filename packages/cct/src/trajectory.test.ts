import '@tensorflow/tfjs-backend-cpu';
import '@tensorflow/tfjs-backend-wasm';
import * as tf from '@tensorflow/tfjs-core';
import { Rng, type Callback } from '@lel/core';
import { describeTrajectory, type SuiteFixture } from '@lel/core/testing';
import type { CctConfigInput } from './config';
import type { SegmentationBatch } from './data';
import { SmallConvEncoder } from './encoder';
import { CctModel } from './model';
import { trainCct } from './train';

type Doc = { config: CctConfigInput; model: { widths: number[]; outputStride: number } };

/**
 * LEL's `trainCct` against `reference/vision/trajectory_cct.py` (float64 PyTorch): same initial weights, batches
 * (lel_rng mirrors the loop's generators) and perturbation noise, 60 steps; see the fixtures' `what`.
 */
async function runFixture(f: SuiteFixture<Doc>, maxSteps: number) {
  const { config, model: spec } = f.doc;
  // The initialisation is overwritten by init.*: the generator only has to build the right shapes.
  const rng = new Rng('unused');
  const model = new CctModel(new SmallConvEncoder({ widths: spec.widths, outputStride: spec.outputStride, rng }), config, rng);
  model.loadStateDict(f.group('init'));
  const t = f.tensors;
  const labelled = { images: t.get('data.labelled.images') as tf.Tensor4D, labels: t.get('data.labelled.labels') as tf.Tensor3D };
  const unlabelled = { images: t.get('data.unlabelled.images') as tf.Tensor4D, labels: t.get('data.unlabelled.labels') as tf.Tensor3D };
  const steps: Record<string, number>[] = [];
  const recorder: Callback<SegmentationBatch> = { onStepEnd: (ctx, m) => void steps.push({ ...m, total: m.loss!, lr: ctx.lr }) };
  try {
    await trainCct({ model, labelled, ...(config.mode === 'semi' ? { unlabelled } : {}), augment: null, maxSteps, callbacks: [recorder], checkpoint: false });
    return { steps, state: new Map([...model.stateDict()].map(([k, v]) => [k, v.clone()])) };
  } finally {
    model.dispose();
  }
}

// The pure-JavaScript cpu backend runs the first 20 steps (its losses are compared); wasm the whole trajectory.
describeTrajectory<Doc>('cct semi-supervised', new URL('./fixtures/trajectory/cct-semi.json', import.meta.url), runFixture, { steps: { cpu: 20 } });
describeTrajectory<Doc>('cct supervised', new URL('./fixtures/trajectory/cct-supervised.json', import.meta.url), runFixture, { steps: { cpu: 20 } });
