import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventFiles } from '@lel/core/node';
import { buildProgram } from '../cli';
import { readMetrics, readTensorBoardMetrics, RUN_FILES } from '../run-dir';
import { TINY_SETS, tempDir } from '../testing';
import { trainCommand } from '../train';
import { writeRunReport } from './index';

const quiet = () => {};

describe('--logger tensorboard and reports of runs still training', () => {
  it('writes TensorBoard events beside metrics.jsonl with the same train records; a report renders the run before summary.json exists', async () => {
    const out = path.join(tempDir('tb'), 'run');
    await trainCommand('cct-supervised', { set: TINY_SETS['cct-supervised']!, out, progress: 'none', log: quiet, backend: 'wasm', loggers: ['tensorboard'] });
    expect(eventFiles(path.join(out, RUN_FILES.tensorboard)).length).toBe(1);
    const jsonl = readMetrics(out);
    const tb = readTensorBoardMetrics(out);
    const steps = (rs: typeof jsonl, type: string) => rs.filter((r) => r.type === type).map((r) => r.step);
    expect(steps(tb, 'train')).toEqual(steps(jsonl, 'train'));
    expect(steps(tb, 'eval')).toEqual(steps(jsonl, 'eval'));
    const lastTrain = jsonl.filter((r) => r.type === 'train').at(-1)!;
    const lastTb = tb.filter((r) => r.type === 'train').at(-1)!;
    const keys = Object.keys(lastTrain).filter((k) => typeof lastTrain[k] === 'number' && !['step', 'epoch', 'steps_per_sec'].includes(k));
    expect(keys.length).toBeGreaterThan(1);
    for (const k of keys) expect(lastTb[k], k).toBeCloseTo(lastTrain[k] as number, 5);

    // The same folder while training: no summary.json (and, for the TensorBoard case, no metrics.jsonl either).
    for (const keep of ['jsonl', 'tensorboard'] as const) {
      const live = path.join(tempDir(`live-${keep}`), 'run');
      fs.cpSync(out, live, { recursive: true });
      fs.rmSync(path.join(live, RUN_FILES.summary));
      if (keep === 'tensorboard') fs.rmSync(path.join(live, RUN_FILES.metrics));
      const html = fs.readFileSync(writeRunReport([live], path.join(live, 'live.html')), 'utf8');
      expect(html).toContain('in progress');
      expect(html).toContain('Training losses');
      expect(html).toContain('Validation metrics');
      expect(html).toMatch(/3 steps logged/);
      // A comparison mixing a finished and a running run keeps the finished one's table.
      const both = fs.readFileSync(writeRunReport([out, live], path.join(live, 'both.html')), 'utf8');
      expect(both).toContain('<table class="compare">');
      expect(both).toContain('in progress');
    }
    const empty = tempDir('empty');
    expect(() => writeRunReport([empty], path.join(empty, 'r.html'))).toThrow(/has neither summary\.json nor metrics/);
  });

  it('--logger accepts tensorboard (repeatable) and refuses other names', async () => {
    const program = buildProgram().exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    const train = program.commands.find((c) => c.name() === 'train')!;
    train.exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
    train.action(() => {});
    await program.parseAsync(['node', 'lel', 'train', 'cct', '--logger', 'tensorboard', '--logger', 'jsonl']);
    expect(train.opts()['logger']).toEqual(['tensorboard', 'jsonl']);
    await expect(program.parseAsync(['node', 'lel', 'train', 'cct', '--logger', 'wandb'])).rejects.toThrow(/choose from jsonl, tensorboard/);
  });
});
