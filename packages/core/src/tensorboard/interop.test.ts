/**
 * Interop with TensorBoard event files written by PyTorch's `SummaryWriter` (torch 2.11): the fixture folder is
 * `$LEL_INTEROP/tensorboard` when `LEL_INTEROP` is set, else the copy of `shared/interop` in `src/fixtures/interop`.
 */
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { EVENT_FILE_VERSION } from './event-file';
import { eventFiles, readEventFile, readTensorBoardScalars } from './reader';

const INTEROP = process.env.LEL_INTEROP ?? fileURLToPath(new URL('../fixtures/interop', import.meta.url));
const TB = path.join(INTEROP, 'tensorboard');

describe('interop: TensorBoard event file written by PyTorch', () => {
  test('every record passes both checksums; the scalars come back with their steps', () => {
    const [file] = eventFiles(TB);
    expect(file).toBeDefined();
    const parsed = readEventFile(file!);
    expect(parsed.trailingBytes).toBe(0);
    expect(parsed.events[0]!.fileVersion).toBe(EVENT_FILE_VERSION);
    expect(parsed.events.length).toBe(6);
    const scalars = readTensorBoardScalars(TB);
    expect([...scalars.keys()].sort()).toEqual(['train/loss', 'val/miou']);
    expect(scalars.get('train/loss')!.map((p) => [p.step, p.value])).toEqual([
      [0, 2.5],
      [1, 1.75],
      [2, 1.25],
      [3, 1],
    ]);
    const [miou] = scalars.get('val/miou')!;
    expect(miou!.step).toBe(3);
    expect(miou!.value).toBeCloseTo(0.42, 6); // float32 on disk
    for (const pts of scalars.values()) for (const p of pts) expect(p.wallTime).toBeGreaterThan(1.7e9);
  });
});
