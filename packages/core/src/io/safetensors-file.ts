import { open, readFile } from 'node:fs/promises';
import { writeFileAtomic } from './atomic-write';
import {
  parseSafetensors,
  readHeaderLength,
  SAFETENSORS_DEFAULT_LIMITS,
  SafetensorsError,
  serializeSafetensors,
  type ParsedSafetensors,
  type SafetensorsInput,
  type SafetensorsLimits,
  type SerializeSafetensorsOptions,
} from './safetensors';

/**
 * Read and validate a safetensors file (see {@link parseSafetensors}); errors name the file. The 8-byte
 * header length is read and checked against `limits.maxHeaderSize` before the rest of the file is.
 */
export async function readSafetensorsFile(path: string, limits: SafetensorsLimits = {}): Promise<ParsedSafetensors> {
  const fh = await open(path, 'r').catch((e: NodeJS.ErrnoException) => {
    throw new Error(`${path}: cannot read safetensors file (${e.code ?? e.message})`, { cause: e });
  });
  try {
    const head = new Uint8Array(8);
    const { bytesRead } = await fh.read(head, 0, 8, 0);
    const max = limits.maxHeaderSize ?? SAFETENSORS_DEFAULT_LIMITS.maxHeaderSize;
    if (bytesRead === 8 && readHeaderLength(head) > max) {
      const n = readHeaderLength(head);
      throw new SafetensorsError('HeaderTooLarge', `header length ${n} exceeds the limit maxHeaderSize = ${max} bytes`, {
        file: path,
        limit: { name: 'maxHeaderSize', max, value: n },
      });
    }
  } finally {
    await fh.close();
  }
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new Error(`${path}: cannot read safetensors file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  return parseSafetensors(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), { ...limits, file: path });
}

/** Serialise tensors (see {@link serializeSafetensors}) and write them atomically to `path`. */
export async function writeSafetensorsFile(
  path: string,
  tensors: Map<string, SafetensorsInput>,
  metadata?: Record<string, string>,
  options?: SerializeSafetensorsOptions,
): Promise<void> {
  await writeFileAtomic(path, await serializeSafetensors(tensors, metadata, options));
}
