import { readFile, stat } from 'node:fs/promises';
import { DatasetError } from '../errors';
import { LimitExceededError, resolveLimits, type LoaderLimits } from '../limits';
import { decodeImage, decodeMaskPng, type DecodedMask } from '../loaders/image';
import { checkMaskSize, checkMaskValues } from '../loaders/mask-check';
import type { DecodedImage } from '../types';
import type { ImageSample, ReadSampleOptions } from './image-source';

/**
 * Reads a file without blocking the event loop, so the next batch's files load while a step runs; a failure names
 * the file. A file larger than `maxBytes` (`maxImageBytes` for images) is refused before it is read.
 */
export async function readFileAsync(path: string, maxBytes = Infinity): Promise<Uint8Array> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new DatasetError(path, 'is not a regular file');
    if (st.size > maxBytes) throw new LimitExceededError(path, 'maxImageBytes', maxBytes, st.size, `file size ${st.size.toLocaleString('en-US')} bytes`);
    return await readFile(path);
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(path, `cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

const maxImageBytes = (limits: LoaderLimits | undefined): number => resolveLimits(limits).maxImageBytes;

/** Reads and decodes an image file with `decodeImage` (PNG or JPEG). */
export async function readImageAsync(path: string, options: ReadSampleOptions = {}): Promise<DecodedImage> {
  const bytes = await readFileAsync(path, maxImageBytes(options.decode?.limits));
  return decodeImage(bytes, path, { ...options.decode, ...(options.channels ? { channels: options.channels } : {}) });
}

/** Reads and decodes a mask PNG with `decodeMaskPng` (within `limits`, the decoder's). */
export async function readMaskAsync(path: string, limits?: LoaderLimits): Promise<DecodedMask> {
  return decodeMaskPng(await readFileAsync(path, maxImageBytes(limits)), path, limits ? { limits } : {});
}

/**
 * Reads an image and its mask, checking that they have one size and (with `numClasses`) that every mask value is a
 * class index or 255; each failure names the file.
 */
export async function readImageWithMask(imageFile: string, maskFile: string, options: ReadSampleOptions = {}): Promise<ImageSample> {
  const [image, mask] = await Promise.all([readImageAsync(imageFile, options), readMaskAsync(maskFile, options.decode?.limits)]);
  checkMaskSize(mask, image, maskFile, imageFile);
  if (options.numClasses !== undefined) checkMaskValues(mask.data, mask.width, options.numClasses, maskFile);
  return { image, mask: mask.data };
}
