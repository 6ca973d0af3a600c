import { describe, expect, test } from 'vitest';
import { formatDuration, formatProgressLine, LineProgress, Throughput } from './progress';
import { ProgressReporter } from './progress-reporter';

function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, stream: { isTTY, write: (s: string) => void chunks.push(s) } };
}

describe('progress', () => {
  test('non-TTY (auto): plain periodic lines with step, epoch, loss, lr, throughput and ETA, plus the final step', () => {
    const { chunks, stream } = fakeStream(false);
    const p = new ProgressReporter({ mode: 'auto', stream, every: 5 });
    expect(p.mode).toBe('lines');
    p.start({ step: 0, totalSteps: 12, epoch: 0, totalEpochs: 3 });
    for (let s = 1; s <= 12; s++) p.update({ step: s, totalSteps: 12, epoch: Math.floor((s - 1) / 4), totalEpochs: 3, loss: 1 / s, lr: 0.001, stepsPerSec: 20, etaSec: (12 - s) / 20 });
    p.print('[lel] eval @ step 12: acc=0.5000');
    p.stop();
    expect(chunks.join('')).toBe(
      [
        '[lel] step 5/12 | epoch 2/3 | loss 0.2000 | lr 1.00e-3 | 20.0 it/s | ETA 0:00 (41%)',
        '[lel] step 10/12 | epoch 3/3 | loss 0.1000 | lr 1.00e-3 | 20.0 it/s | ETA 0:00 (83%)',
        '[lel] eval @ step 12: acc=0.5000',
        '[lel] step 12/12 | epoch 3/3 | loss 0.0833 | lr 1.00e-3 | 20.0 it/s | ETA 0:00 (100%)',
        '',
      ].join('\n'),
    );
    expect(chunks.join('')).not.toMatch(/\x1b|\r/); // no terminal control codes in logs
  });

  test('LineProgress (a page: no terminal): lines even when a bar or auto is asked for, none silent, console by default', () => {
    for (const mode of ['auto', 'bar', 'lines'] as const) {
      const { chunks, stream } = fakeStream(true);
      const p = new LineProgress({ mode, stream, every: 2 });
      expect(p.mode).toBe('lines');
      p.start({ step: 0, epoch: 0 });
      for (let s = 1; s <= 3; s++) p.update({ step: s, epoch: 0, loss: 1 });
      p.stop();
      expect(chunks.map((c) => c.split(' |')[0])).toEqual(['[lel] step 2', '[lel] step 3']);
    }
    const quiet = fakeStream(true);
    const none = new LineProgress({ mode: 'none', stream: quiet.stream });
    none.print('x');
    none.stop({ step: 1, epoch: 0 });
    expect(quiet.chunks).toEqual([]);
    // Without `process` (a page or a worker), lines go to the console.
    const saved = globalThis.process;
    const logged: unknown[] = [];
    const log = console.log;
    try {
      (globalThis as { process?: unknown }).process = undefined;
      console.log = (...a: unknown[]) => void logged.push(...a);
      new LineProgress({ mode: 'lines' }).print('[lel] hello');
    } finally {
      (globalThis as { process?: unknown }).process = saved;
      console.log = log;
    }
    expect(logged).toEqual(['[lel] hello']);
  });

  test('unknown totals and missing values print placeholders', () => {
    expect(formatProgressLine({ step: 3, epoch: 0 })).toBe('[lel] step 3 | epoch 1 | loss - | lr - | - it/s | ETA ?');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(65)).toBe('1:05');
  });

  test('bar mode draws on a TTY and releases its timer on stop; none prints nothing', () => {
    const { chunks, stream } = fakeStream(true);
    const p = new ProgressReporter({ mode: 'bar', stream });
    expect(p.mode).toBe('bar');
    p.start({ step: 0, totalSteps: 4, epoch: 0 });
    p.update({ step: 2, totalSteps: 4, epoch: 0, loss: 0.5, lr: 0.1, stepsPerSec: 2, etaSec: 1 });
    p.stop();
    expect(chunks.join('')).toMatch(/step 2\/4 \| epoch 1 \| loss 0\.5000/);
    const quiet = fakeStream(false);
    const n = new ProgressReporter({ mode: 'none', stream: quiet.stream });
    n.start({ step: 0, epoch: 0 });
    n.update({ step: 10, epoch: 0 });
    n.print('x');
    n.stop();
    expect(quiet.chunks).toEqual([]);
  });

  test('throughput and ETA', () => {
    let t = 0;
    const tp = new Throughput(100, () => t);
    t = 2000;
    tp.addSamples(80);
    expect(tp.measure(110, 200)).toEqual({ stepsPerSec: 5, samplesPerSec: 40, etaSec: 18 });
  });
});
