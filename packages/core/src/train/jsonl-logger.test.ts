import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, test } from 'vitest';
import { JsonlLogger, readJsonl } from './jsonl-logger';

describe('JsonlLogger', () => {
  test('one JSON record per line; non-finite numbers as strings; resume keeps the chosen records', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-jsonl-'));
    const file = path.join(dir, 'run', 'metrics.jsonl');
    const log = new JsonlLogger(file);
    for (let step = 1; step <= 4; step++) log.log({ type: 'train', step, epoch: 0, time: 't', loss: step === 4 ? NaN : step });
    log.close();
    expect(() => log.log({ type: 'train', step: 5, epoch: 0, time: 't' })).toThrow(/closed/);
    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(JSON.parse(lines[3]!).loss).toBe('NaN');
    fs.appendFileSync(file, '{"type":"train","st'); // torn last line of a crash
    const resumed = new JsonlLogger(file, { keep: (r) => r.step <= 2 });
    resumed.log({ type: 'eval', step: 3, epoch: 0, time: 't', acc: 1 });
    resumed.close();
    expect(readJsonl(file).map((r) => [r.type, r.step])).toEqual([
      ['train', 1],
      ['train', 2],
      ['eval', 3],
    ]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
