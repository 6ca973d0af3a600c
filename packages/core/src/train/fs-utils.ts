import * as fs from 'node:fs';
import * as path from 'node:path';

const CAUSES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a parent is not a folder',
  EISDIR: 'it is a folder',
};

/** `ENOSPC (no space left on the device)` for a Node file-system error; the message otherwise. */
export function describeFsError(e: unknown): string {
  const code = (e as NodeJS.ErrnoException)?.code;
  return code && CAUSES[code] ? `${code}, ${CAUSES[code]}` : ((e as Error)?.message ?? String(e));
}

/** Write `data` to `file` and fsync it (no rename: for files inside a temporary folder). Errors name the file. */
export function writeFileSynced(file: string, data: Uint8Array | string): void {
  let fd: number;
  try {
    fd = fs.openSync(file, 'w');
  } catch (e) {
    throw new Error(`cannot write ${file}: ${describeFsError(e)}`, { cause: e });
  }
  try {
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let off = 0;
    while (off < bytes.byteLength) off += fs.writeSync(fd, bytes, off, bytes.byteLength - off);
    fs.fsyncSync(fd);
  } catch (e) {
    throw new Error(`cannot write ${file}: ${describeFsError(e)}`, { cause: e });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * `mkdir -p` that names the real cause: Node's recursive mkdir reports ENOENT when a parent cannot be created
 * on a read-only file system (and never returns on some pseudo file systems), so missing folders are created
 * one by one from the deepest existing one. Errors say `cannot create <what> <dir>: <cause> (mkdir <folder>)`.
 */
export function makeDirs(dir: string, what = 'folder'): void {
  const missing: string[] = [];
  let cur = path.resolve(dir);
  while (!fs.existsSync(cur)) {
    missing.push(cur);
    const up = path.dirname(cur);
    if (up === cur) break;
    cur = up;
  }
  if (fs.existsSync(cur) && !fs.statSync(cur).isDirectory()) throw new Error(`cannot create ${what} ${dir}: ${cur} is a file, not a folder`);
  for (const d of missing.reverse()) {
    try {
      fs.mkdirSync(d);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST' && fs.statSync(d).isDirectory()) continue;
      throw new Error(`cannot create ${what} ${dir}: ${describeFsError(e)} (mkdir ${d})`, { cause: e });
    }
  }
}

/** Read and parse a JSON file, naming the file on failure. */
export function readJsonFile<T = unknown>(file: string): T {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`Cannot read ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${file} is not valid JSON: ${(e as Error).message}`);
  }
}
