import { createHash } from 'node:crypto';
import * as path from 'node:path';

/** File name of a checkpoint's manifest (kept here so integrity checks need no import cycle). */
const STATE_FILE = 'state.json';

/** Hex SHA-256 of `data`. */
export function sha256Hex(data: Uint8Array | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * The text of `state.json` for `manifest`, and the manifest with its own checksum filled in: the manifest's
 * `sha256` map holds every file of the folder, `state.json` itself included — hashed over this same
 * serialisation with its own entry empty, which a reader reproduces from the parsed JSON.
 */
export function sealManifest<M extends { sha256?: Record<string, string> }>(manifest: M): { text: string; manifest: M } {
  const files = { ...(manifest.sha256 ?? {}), [STATE_FILE]: '' };
  const open = { ...manifest, sha256: files };
  files[STATE_FILE] = sha256Hex(serializeManifest(open));
  return { text: serializeManifest(open), manifest: open };
}

/** How `state.json` is written. */
export function serializeManifest(manifest: unknown): string {
  return JSON.stringify(manifest, null, 2) + '\n';
}

/** SHA-256 that the manifest's own entry should hold (recomputed from the parsed manifest). */
export function manifestDigest(manifest: { sha256?: Record<string, string> }): string {
  return sha256Hex(serializeManifest({ ...manifest, sha256: { ...manifest.sha256, [STATE_FILE]: '' } }));
}

/**
 * A checkpoint whose files do not match the SHA-256 sums its manifest records (or whose listed file is
 * missing or unreadable): it was damaged on disk and is refused. `file` names the bad file.
 */
export class CheckpointIntegrityError extends Error {
  readonly dir: string;
  readonly file: string;
  constructor(dir: string, file: string, problem: string) {
    super(`Checkpoint ${dir} is corrupted: ${path.join(dir, file)} ${problem}; refusing to load it`);
    this.name = 'CheckpointIntegrityError';
    this.dir = dir;
    this.file = path.join(dir, file);
  }
}

/** Throw a {@link CheckpointIntegrityError} unless `bytes` of `file` match the manifest's record. */
export function checkFileDigest(dir: string, file: string, bytes: Uint8Array, sums: Record<string, string>): void {
  const expected = sums[file];
  if (expected === undefined) throw new CheckpointIntegrityError(dir, file, 'has no SHA-256 in the manifest although the manifest lists it');
  const actual = sha256Hex(bytes);
  if (actual !== expected) throw new CheckpointIntegrityError(dir, file, `has SHA-256 ${actual.slice(0, 16)}… but the manifest records ${expected.slice(0, 16)}…`);
}

/** The warning for a checkpoint written before files were checksummed. */
export function unverifiedWarning(dir: string, version: string | undefined): string {
  return `Checkpoint ${dir} has no SHA-256 sums (written by @lel/core ${version ?? 'before 0.2'}): its files cannot be verified; it is loaded as it is.`;
}
