import { DatasetError } from '../errors';
import { LimitExceededError, resolveLimits, type LoaderLimits } from '../limits';
import type { ImageClassificationData } from '../types';
import { readFileOrThrow } from './read-file';

/** The CIFAR-10 class names in label order. */
export const CIFAR10_CLASS_NAMES = ['airplane', 'automobile', 'bird', 'cat', 'deer', 'dog', 'frog', 'horse', 'ship', 'truck'];

/** Options for {@link parseCifarBinary}. */
export interface CifarOptions {
  /** 10: records are `<label><3072 pixels>`; 100: `<coarse><fine><3072 pixels>`. Default 10. */
  variant?: 10 | 100;
  /** For CIFAR-100, which label to keep. Default "fine". */
  labelKind?: 'coarse' | 'fine';
  /** Class names; default CIFAR-10's, or "0".."99" / "0".."19" for CIFAR-100. */
  classNames?: string[];
  /** Limits ({@link LoaderLimits}): each batch file may hold at most `maxFileBytes`. */
  limits?: LoaderLimits;
}

/**
 * Parses the CIFAR binary format (`data_batch_*.bin`, `test_batch.bin`, CIFAR-100 `train.bin`): fixed-size
 * records of label byte(s) then a 32×32 image stored plane by plane (1024 red, 1024 green, 1024 blue), which
 * is transposed here to HWC.
 */
export function parseCifarBinary(bytes: Uint8Array, file = '<cifar>', options: CifarOptions = {}): ImageClassificationData {
  const variant = options.variant ?? 10;
  if (variant !== 10 && variant !== 100) throw new DatasetError(file, `options.variant must be 10 or 100, got ${String(variant)}`);
  const { maxFileBytes } = resolveLimits(options.limits);
  if (bytes.length > maxFileBytes) throw new LimitExceededError(file, 'maxFileBytes', maxFileBytes, bytes.length, `a CIFAR batch of ${bytes.length.toLocaleString('en-US')} bytes`);
  const labelBytes = variant === 10 ? 1 : 2;
  const record = labelBytes + 3072;
  if (bytes.length === 0 || bytes.length % record !== 0) {
    throw new DatasetError(file, `size ${bytes.length} is not a multiple of the CIFAR-${variant} record size ${record} (truncated file or wrong variant)`);
  }
  const labelOffset = variant === 100 && (options.labelKind ?? 'fine') === 'fine' ? 1 : 0;
  const numClasses = variant === 10 ? 10 : labelOffset === 1 ? 100 : 20;
  const classNames = options.classNames ?? (variant === 10 ? CIFAR10_CLASS_NAMES : Array.from({ length: numClasses }, (_, i) => String(i)));
  const n = bytes.length / record;
  const images = new Float32Array(n * 3072);
  const labels = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const at = i * record;
    const y = bytes[at + labelOffset]!;
    if (y >= classNames.length) throw new DatasetError(file, `label ${y} of record ${i} is out of range [0, ${classNames.length})`);
    labels[i] = y;
    const px = at + labelBytes;
    for (let p = 0; p < 1024; p++) {
      for (let c = 0; c < 3; c++) images[i * 3072 + p * 3 + c] = bytes[px + c * 1024 + p]! / 255;
    }
  }
  return { images, labels, n, height: 32, width: 32, channels: 3, classNames: [...classNames] };
}

/** Reads and concatenates CIFAR binary batch files (each at most `options.limits.maxFileBytes`); see {@link parseCifarBinary}. */
export function loadCifarBinary(paths: string[], options: CifarOptions = {}): ImageClassificationData {
  if (paths.length === 0) throw new DatasetError('<cifar>', 'no batch files given');
  const { maxFileBytes } = resolveLimits(options.limits);
  const parts = paths.map((p) => parseCifarBinary(readFileOrThrow(p, maxFileBytes), p, options));
  const n = parts.reduce((a, d) => a + d.n, 0);
  const images = new Float32Array(n * 3072);
  const labels = new Int32Array(n);
  let at = 0;
  for (const d of parts) {
    images.set(d.images, at * 3072);
    labels.set(d.labels, at);
    at += d.n;
  }
  return { images, labels, n, height: 32, width: 32, channels: 3, classNames: parts[0]!.classNames };
}
