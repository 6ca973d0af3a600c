import * as tf from '@tensorflow/tfjs-core';
import { requireNodeHost, toTensorMap } from '@lel/core';
import { ArSegArchitectureSchema } from './config';
import { ArEncoder, ArSegModel } from './model';

/** `format` metadata of an exported encoder file. */
export const AR_ENCODER_FORMAT = 'lel-arseg-encoder/1';

/**
 * Save the encoder of a trained model (or an encoder) as safetensors: its own parameter and buffer names
 * (`stem.conv.weight`, `blocks.0.conv1.weight`, …, as `ArEncoder.stateDict()`) plus metadata `format` and
 * `architecture` (JSON), so {@link loadArEncoder} can rebuild it. Used as pretraining for @lel/cct: its
 * `CctModel(encoder, …)` registers the encoder under `encoder.`, so the same names appear there with that prefix.
 */
export async function saveArEncoder(modelOrEncoder: ArSegModel | ArEncoder, path: string): Promise<void> {
  const enc = modelOrEncoder instanceof ArSegModel ? modelOrEncoder.encoder : modelOrEncoder;
  await requireNodeHost('saveArEncoder').writeSafetensorsFile(path, enc.stateDict(), {
    format: AR_ENCODER_FORMAT,
    architecture: JSON.stringify(enc.options),
    outChannels: String(enc.outChannels),
    outputStride: String(enc.outputStride),
  });
}

/**
 * Rebuild an {@link ArEncoder} from a file written by {@link saveArEncoder} (strict: every tensor must match). Its
 * `forward(x)` runs unmasked (ordering 0), as at inference; plug it into @lel/cct with
 * `new CctModel(encoder, { upscale: encoder.outputStride, … })`.
 */
export async function loadArEncoder(path: string): Promise<ArEncoder> {
  const parsed = await requireNodeHost('loadArEncoder').readSafetensorsFile(path);
  const meta = parsed.metadata ?? {};
  if (meta.format !== AR_ENCODER_FORMAT) throw new Error(`loadArEncoder: ${path} is not an exported AR encoder (metadata format ${JSON.stringify(meta.format)}, expected ${AR_ENCODER_FORMAT})`);
  let arch: unknown;
  try {
    arch = JSON.parse(meta.architecture ?? '');
  } catch {
    throw new Error(`loadArEncoder: ${path} has no valid "architecture" metadata`);
  }
  const encoder = new ArEncoder(ArSegArchitectureSchema.parse(arch));
  const tensors = toTensorMap(parsed);
  try {
    encoder.loadStateDict(tensors);
  } catch (e) {
    encoder.dispose();
    throw e;
  } finally {
    tf.dispose([...tensors.values()]);
  }
  return encoder;
}
