import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DatasetError } from '../errors';

/** File names the image sources read: PNG and JPEG, any case. */
export const IMAGE_FILE = /\.(png|jpe?g)$/i;

/** The entries of a directory in sorted order (byte order, the same on every machine); a failure names the directory. */
export function listDirSorted(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch (e) {
    throw new DatasetError(dir, `cannot list directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** Whether `path` is a directory (false when it does not exist). */
export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

/**
 * Image files under `dir` as paths relative to it, sorted, descending into sub-directories when `recursive`
 * (hidden entries, starting with ".", are skipped). Other files are ignored.
 */
export function listImageFiles(dir: string, options: { recursive?: boolean } = {}): string[] {
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of listDirSorted(join(dir, rel))) {
      if (name.startsWith('.')) continue;
      const relPath = rel ? join(rel, name) : name;
      if (isDirectory(join(dir, relPath))) {
        if (options.recursive ?? true) walk(relPath);
      } else if (IMAGE_FILE.test(name)) out.push(relPath);
    }
  };
  walk('');
  return out;
}
