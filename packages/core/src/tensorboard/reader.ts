import * as fs from 'node:fs';
import * as path from 'node:path';
import { parseEventFile, scalarSeries, type ParsedEventFile, type ScalarPoint } from './event-file';
import type { TbEvent } from './event';

/** Read one event file (see {@link parseEventFile}); errors name the file. Node only. */
export function readEventFile(file: string): ParsedEventFile {
  const bytes = fs.readFileSync(file);
  return parseEventFile(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), file);
}

/** The event files of a folder (`events.out.tfevents.*`, not recursive), in the order TensorBoard reads them (by name). */
export function eventFiles(dir: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((f) => f.startsWith('events.out.tfevents.'))
    .sort()
    .map((f) => path.join(dir, f));
}

/**
 * Scalar series by tag from an event file or a folder of them (a run still being written is fine: a torn last
 * record is skipped), with TensorBoard's purge-on-restart rule across files. Node only.
 */
export function readTensorBoardScalars(fileOrDir: string): Map<string, ScalarPoint[]> {
  const files = fs.statSync(fileOrDir).isDirectory() ? eventFiles(fileOrDir) : [fileOrDir];
  const events: TbEvent[] = [];
  for (const f of files) events.push(...readEventFile(f).events);
  return scalarSeries(events);
}
