import type * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, serializeSafetensors, toTensorMap } from '../io';

/** Encode tensors (float32 as F32, int32, bool) as safetensors bytes, with string metadata. */
export async function encodeTensors(map: Map<string, tf.Tensor>, metadata: Record<string, string> = {}): Promise<Uint8Array> {
  return await serializeSafetensors(map, metadata);
}

/** Decode safetensors bytes into new tensors (owned by the caller); errors (`SafetensorsError`) name the file. */
export function decodeTensors(bytes: Uint8Array, file: string): { tensors: Map<string, tf.Tensor>; metadata: Record<string, string> } {
  const parsed = parseSafetensors(bytes, { file });
  return { tensors: toTensorMap(parsed), metadata: parsed.metadata };
}
