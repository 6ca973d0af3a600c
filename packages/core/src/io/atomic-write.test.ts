import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, test, vi } from 'vitest';
import { useBackend } from '../backend';
import { fsyncDir, writeFileAtomic, writeFileAtomicSync } from './atomic-write';
import { readSafetensorsFile, writeSafetensorsFile } from './safetensors-file';

// Lets a test make `rename` fail, simulating a crash between writing the temporary file and renaming it.
vi.mock('node:fs/promises', async (importOriginal) => {
  const orig = await importOriginal<typeof import('node:fs/promises')>();
  return { ...orig, rename: vi.fn(orig.rename) };
});

let dir: string;
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('writeFileAtomic', () => {
  beforeAll(() => useBackend('cpu'));

  test('replaces the file; a crash before the rename leaves the previous file intact and no temporary', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lel-atomic-'));
    const path = join(dir, 'manifest.json');
    await writeFileAtomic(path, '{"v":1}');
    expect(readFileSync(path, 'utf8')).toBe('{"v":1}');
    vi.mocked(fsp.rename).mockRejectedValueOnce(new Error('simulated crash'));
    await expect(writeFileAtomic(path, '{"v":2}')).rejects.toThrow(/writeFileAtomic: cannot write .*manifest.json: simulated crash/);
    expect(readFileSync(path, 'utf8')).toBe('{"v":1}');
    expect(readdirSync(dir)).toEqual(['manifest.json']);
    writeFileAtomicSync(path, new Uint8Array([1, 2, 3]));
    expect([...readFileSync(path)]).toEqual([1, 2, 3]);
    await expect(writeFileAtomic(join(dir, 'missing', 'x.json'), 'x')).rejects.toThrow(/cannot write .*x.json/);
  });

  test('fsyncDir syncs a folder and rethrows real failures (a missing folder) instead of swallowing them', () => {
    dir = mkdtempSync(join(tmpdir(), 'lel-atomic-'));
    expect(() => fsyncDir(dir)).not.toThrow();
    expect(() => fsyncDir(join(dir, 'missing'))).toThrow(/ENOENT/);
  });

  test('safetensors files: atomic write, read back, errors name the file', async () => {
    dir = mkdtempSync(join(tmpdir(), 'lel-atomic-'));
    const path = join(dir, 'model.safetensors');
    const w = tf.tensor2d([[1, 2], [3, 4]]);
    await writeSafetensorsFile(path, new Map([['layer.weight', w]]), { format: 'pt' });
    w.dispose();
    const parsed = await readSafetensorsFile(path);
    expect(parsed.metadata).toEqual({ format: 'pt' });
    expect(Array.from(parsed.tensors.get('layer.weight')!.data)).toEqual([1, 2, 3, 4]);
    writeFileSync(path, readFileSync(path).subarray(0, 20));
    await expect(readSafetensorsFile(path)).rejects.toThrow(/model.safetensors: safetensors: header length/);
  });
});
