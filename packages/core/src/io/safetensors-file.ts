import { readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write';
import { parseSafetensors, serializeSafetensors, type ParsedSafetensors, type SafetensorsInput, type SerializeSafetensorsOptions } from './safetensors';

/** Read and validate a safetensors file (see {@link parseSafetensors}); errors name the file. */
export async function readSafetensorsFile(path: string): Promise<ParsedSafetensors> {
  const bytes = await readFile(path);
  try {
    return parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
  } catch (e) {
    (e as Error).message = `${path}: ${(e as Error).message}`;
    throw e;
  }
}

/** Serialise tensors (see {@link serializeSafetensors}) and write them atomically to `path`. */
export async function writeSafetensorsFile(
  path: string,
  tensors: Map<string, SafetensorsInput>,
  metadata?: Record<string, string>,
  options?: SerializeSafetensorsOptions,
): Promise<void> {
  await writeFileAtomic(path, serializeSafetensors(tensors, metadata, options));
}
