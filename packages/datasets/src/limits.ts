import { DatasetError } from './errors';

/**
 * Limits every loader enforces on untrusted input, so that no file can make a loader allocate more than
 * they allow or run for long: each is checked from a header or the file size before the allocation it
 * bounds, and exceeding one throws a {@link LimitExceededError} naming the file and the limit. Every loader
 * takes `limits` in its options; what is not given keeps its default ({@link DEFAULT_LOADER_LIMITS}).
 */
export interface LoaderLimits {
  /** Most pixels (width × height) a PNG or JPEG may declare. Default 89,478,485 (Pillow's `Image.MAX_IMAGE_PIXELS`). */
  maxImagePixels?: number;
  /** Largest encoded image file, bytes. Default 256 MiB. */
  maxImageBytes?: number;
  /** Largest IDX payload after gzip decompression (and largest IDX file), bytes. Default 1 GiB (EMNIST ByClass's images are 547 MB). */
  maxIdxBytes?: number;
  /** Largest text or binary data file (CSV, TSV, JSONL, split lists, CIFAR batches), bytes. Default 256 MiB. */
  maxFileBytes?: number;
  /** Largest integer label in a text dataset (the classes are then 0…value). Default 99,999. */
  maxLabelValue?: number;
  /** Most distinct labels in a text dataset. Default 100,000. */
  maxDistinctLabels?: number;
}

/** Name of one {@link LoaderLimits} entry. */
export type LoaderLimitName = keyof LoaderLimits;

/** Defaults of {@link LoaderLimits}. */
export const DEFAULT_LOADER_LIMITS: Readonly<Required<LoaderLimits>> = Object.freeze({
  maxImagePixels: 89_478_485,
  maxImageBytes: 256 * 2 ** 20,
  maxIdxBytes: 2 ** 30,
  maxFileBytes: 256 * 2 ** 20,
  maxLabelValue: 99_999,
  maxDistinctLabels: 100_000,
});

/** The limits in force: `limits` over the defaults (each must be a number ≥ 0). */
export function resolveLimits(limits: LoaderLimits = {}): Required<LoaderLimits> {
  const out = { ...DEFAULT_LOADER_LIMITS };
  for (const [k, v] of Object.entries(limits) as [LoaderLimitName, number | undefined][]) {
    if (v === undefined) continue;
    if (!Object.hasOwn(DEFAULT_LOADER_LIMITS, k)) throw new Error(`limits: unknown limit "${k}" (known: ${Object.keys(DEFAULT_LOADER_LIMITS).join(', ')})`);
    if (typeof v !== 'number' || !(v >= 0)) throw new Error(`limits.${k} must be a number >= 0, got ${String(v)}`);
    out[k] = v;
  }
  return out;
}

/**
 * A file over one of the {@link LoaderLimits}: `limit` names it, `max` is its value, `value` what the file
 * declared or held (a lower bound when counting stopped at the limit). Raise the limit through the loader's
 * `limits` option if the file is genuine.
 */
export class LimitExceededError extends DatasetError {
  readonly limit: LoaderLimitName;
  readonly max: number;
  readonly value: number;

  constructor(file: string, limit: LoaderLimitName, max: number, value: number, what: string) {
    super(file, `${what} exceeds the limit ${limit} = ${max.toLocaleString('en-US')} (options.limits.${limit} raises it)`);
    this.name = 'LimitExceededError';
    this.limit = limit;
    this.max = max;
    this.value = value;
  }
}
