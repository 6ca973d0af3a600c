import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { afterEach, beforeAll, describe, expect, test } from 'vitest';
import { nodeHost, requireNodeHost, setNodeHost } from './host';
import { Linear } from './layers/index';
import { mse } from './losses/index';
import { SGD } from './optim/index';
import { Rng } from './random/rng';
import { fit } from './train/loop';
import './node'; // installs Node's host, as @lel/core does in Node

// What a web page sees: no Node host (the main entry never installs one). `fit` trains in memory; anything that
// needs files says so.
describe('without a Node host (a web page)', () => {
  const installed = nodeHost();
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  afterEach(() => setNodeHost(installed));

  function problem() {
    const rng = new Rng(1);
    const model = new Linear(3, 1, { rng });
    const x = rng.normalTensor([8, 3]);
    const y = tf.sum(x, 1, true);
    return { model, x, y, optimizer: new SGD(model.trainableParameters(), { lr: 0.1 }) };
  }

  test('@lel/core/node installs the host (as @lel/core does in Node); requireNodeHost returns it', () => {
    expect(installed).toBeDefined();
    expect(requireNodeHost('x')).toBe(installed);
  });

  test('fit trains in memory: steps, history, the loss falls, progress lines go to the stream', async () => {
    setNodeHost(undefined);
    const { model, x, y, optimizer } = problem();
    const lines: string[] = [];
    const r = await fit({
      model,
      optimizer,
      step: () => ({ total: mse(model.forward(x), y) as tf.Scalar }),
      data: { labeled: () => [0] },
      maxSteps: 20,
      logEvery: 10,
      disposeBatches: false,
      progress: 'lines',
      progressStream: { write: (s: string) => void lines.push(s) },
    });
    expect(r.steps).toBe(20);
    expect(r.runDir).toBeUndefined();
    expect(r.history.filter((h) => h.type === 'train').map((h) => h.step)).toEqual([10, 20]);
    expect(r.history[1]!.loss as number).toBeLessThan(r.history[0]!.loss as number);
    expect(lines.join('')).toMatch(/\[lel\] step 20/);
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  });

  test('a run folder or a resume is a clear error before any work', async () => {
    setNodeHost(undefined);
    const { model, x, y, optimizer } = problem();
    const base = { model, optimizer, step: () => ({ total: mse(model.forward(x), y) as tf.Scalar }), data: { labeled: () => [0] }, maxSteps: 2, progress: 'none' as const };
    await expect(fit({ ...base, runDir: '/tmp/never-written' })).rejects.toThrow(/fit: runDir\/resume needs a file system: .*Node only.*serializeSafetensors/);
    await expect(fit({ ...base, resume: 'some/checkpoint' })).rejects.toThrow(/needs a file system/);
    expect(() => requireNodeHost('saveSclWeights')).toThrow(/^saveSclWeights needs a file system/);
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
  });
});
