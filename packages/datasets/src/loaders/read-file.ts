import { readFileSync, statSync } from 'node:fs';
import { DatasetError } from '../errors';
import { LimitExceededError, type LoaderLimitName } from '../limits';

/**
 * Reads a whole regular file, refusing one larger than `maxBytes` (named `limit` in the error) before reading
 * it, and anything that is not a regular file (a FIFO or `/dev/zero` would block or never end). I/O errors
 * become a {@link DatasetError} naming the file.
 */
export function readFileOrThrow(path: string, maxBytes = Infinity, limit: LoaderLimitName = 'maxFileBytes'): Buffer {
  let size: number;
  try {
    const st = statSync(path);
    if (!st.isFile()) throw new DatasetError(path, st.isDirectory() ? 'is a directory, not a file' : 'is not a regular file');
    size = st.size;
  } catch (e) {
    if (e instanceof DatasetError) throw e;
    throw new DatasetError(path, `cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  if (size > maxBytes) throw new LimitExceededError(path, limit, maxBytes, size, `file size ${size.toLocaleString('en-US')} bytes`);
  try {
    return readFileSync(path);
  } catch (e) {
    throw new DatasetError(path, `cannot read file (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** {@link readFileOrThrow} decoded as UTF-8 text. */
export function readTextOrThrow(path: string, maxBytes = Infinity): string {
  const bytes = readFileOrThrow(path, maxBytes);
  try {
    return bytes.toString('utf8');
  } catch (e) {
    throw new DatasetError(path, `cannot decode as text (${(e as Error).message})`);
  }
}
