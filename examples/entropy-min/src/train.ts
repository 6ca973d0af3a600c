import type { FitResult, MethodRunOptions } from '@lel/core';
import { runMethod } from '@lel/core';
import type { EntropyMinConfig, EntropyMinConfigInput } from './config';
import { entropyMin, type EntropyMinBatch, type EntropyMinData } from './method';
import type { EntropyMinClassifier } from './model';

/**
 * Train the classifier with entropy minimisation on labelled + unlabelled streams: `runMethod(entropyMin, …)`.
 * `run` holds the runtime options (run folder, resume, callbacks, progress, evaluation, checkpoints); progress is
 * off by default.
 */
export async function trainEntropyMin(
  data: EntropyMinData,
  config: EntropyMinConfigInput = {},
  run: MethodRunOptions<EntropyMinBatch, EntropyMinBatch> = {},
): Promise<{ model: EntropyMinClassifier; result: FitResult; config: EntropyMinConfig }> {
  const { model, result, config: resolved } = await runMethod(entropyMin, config, data, { progress: 'none', ...run });
  return { model, result, config: resolved };
}
