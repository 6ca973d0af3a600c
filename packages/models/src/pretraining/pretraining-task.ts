// A data-parallel replica of BERT pretraining (imported by @lel/core's DataParallel workers by path).
import * as tf from '@tensorflow/tfjs-core';
import type { ParallelTask, Shard } from '@lel/core/node';
import { BertForPreTraining } from '../bert/pre-training';
import type { BertConfig } from '../bert/config';
import { pretrainingLoss } from './pretraining-loss';
import type { PretrainingBatch } from './pretraining-batch';

/** What each worker's shard payload holds: its rows of the batch and the batch's normalisers. */
export interface PretrainingShardPayload {
  batch: PretrainingBatch;
  maskedTotal: number;
  batchSize: number;
}

/** Factory of a replica: a BertForPreTraining of `config` (weights arrive with every `gradients` call). */
export function createPretrainingTask(args: { config: Partial<BertConfig> }): ParallelTask {
  const model = new BertForPreTraining(args.config);
  model.train();
  return {
    params: model.trainableParameters().map(([, p]) => p.variable),
    loss: ({ payload }: Shard) => {
      const p = payload as PretrainingShardPayload;
      const parts = pretrainingLoss(model, p.batch, { maskedTotal: p.maskedTotal, batchSize: p.batchSize });
      tf.dispose([parts.mlm, parts.nsp]);
      return parts.total;
    },
  };
}
