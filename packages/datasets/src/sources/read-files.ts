import { readFile } from 'node:fs/promises';
import { DatasetError } from '../errors';
import { decodeImage, decodeMaskPng, type DecodedMask } from '../loaders/image';
import { checkMaskSize, checkMaskValues } from '../loaders/mask-check';
import type { DecodedImage } from '../types';
import type { ImageSample, ReadSampleOptions } from './image-source';

/** Reads a file without blocking the event loop, so the next batch's files load while a step runs; a failure names the file. */
export async function readFileAsync(path: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (e) {
    throw new DatasetError(path, `cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Reads and decodes an image file with `decodeImage` (PNG or JPEG). */
export async function readImageAsync(path: string, options: ReadSampleOptions = {}): Promise<DecodedImage> {
  const bytes = await readFileAsync(path);
  return decodeImage(bytes, path, { ...options.decode, ...(options.channels ? { channels: options.channels } : {}) });
}

/** Reads and decodes a mask PNG with `decodeMaskPng`. */
export async function readMaskAsync(path: string): Promise<DecodedMask> {
  return decodeMaskPng(await readFileAsync(path), path);
}

/**
 * Reads an image and its mask, checking that they have one size and (with `numClasses`) that every mask value is a
 * class index or 255; each failure names the file.
 */
export async function readImageWithMask(imageFile: string, maskFile: string, options: ReadSampleOptions = {}): Promise<ImageSample> {
  const [image, mask] = await Promise.all([readImageAsync(imageFile, options), readMaskAsync(maskFile)]);
  checkMaskSize(mask, image, maskFile, imageFile);
  if (options.numClasses !== undefined) checkMaskValues(mask.data, mask.width, options.numClasses, maskFile);
  return { image, mask: mask.data };
}
