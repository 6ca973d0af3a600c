import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensorsFile } from '@lel/core/node';
import { encodePng } from '@lel/datasets/node';
import { trainMilIb } from '@lel/vib';
import { evalCommand, loadRunConfig } from '../eval';
import { predictCommand } from '../predict';
import { missingRunFiles, readMetrics, readSummary } from '../run-dir';
import { TINY_SETS, tempDir } from '../testing';
import { trainCommand } from '../train';
import { RECIPES } from './index';
import { MilData, resolveMilData } from '../data/mil-data';

const quiet = () => {};

describe.each(RECIPES.map((r) => [r.name, r] as const))('lel train %s (tiny, end to end)', (name, recipe) => {
  it('writes a complete run folder with finite metrics, then eval and predict work from it', async () => {
    const sets = TINY_SETS[name];
    expect(sets, `TINY_SETS has no entry for recipe ${name}`).toBeDefined();
    const out = path.join(tempDir(name), 'run');
    const r = await trainCommand(name, { set: sets!, out, progress: 'none', log: quiet, backend: 'wasm' });
    expect(r.interrupted).toBe(false);
    expect(missingRunFiles(out)).toEqual([]);
    expect(fs.readdirSync(path.join(out, 'checkpoints')).some((f) => f.startsWith('step-'))).toBe(true);

    const summary = readSummary(out);
    expect(summary.recipe).toBe(name);
    expect(summary.steps).toBe(3);
    expect(Object.keys(summary.metrics).length).toBeGreaterThan(0);
    for (const [k, v] of Object.entries(summary.metrics)) expect(Number.isFinite(v), `${k}=${v}`).toBe(true);
    expect(summary.params.trainable).toBeGreaterThan(0);
    expect(summary.params.trainable).toBeLessThanOrEqual(summary.params.total);

    const records = readMetrics(out);
    const train = records.filter((x) => x.type === 'train');
    const steps = train.map((x) => x.step);
    expect(steps.at(-1)).toBe(3);
    expect([...steps].sort((a, b) => a - b)).toEqual([...new Set(steps)]);
    for (const rec of records) for (const [k, v] of Object.entries(rec)) if (typeof v === 'number') expect(Number.isFinite(v), `${rec.type}@${rec.step} ${k}=${v}`).toBe(true);
    expect(records.some((x) => x.type === 'eval')).toBe(true);

    // eval reloads best/ and must reproduce the numbers train reported.
    const ev = await evalCommand(out, { log: quiet, backend: 'wasm' });
    for (const [k, v] of Object.entries(ev.metrics)) expect(v, k).toBeCloseTo(summary.metrics[k]!, 5);

    if (recipe.task !== 'text-classification') {
      const img = path.join(out, 'input.png');
      const data = new Float32Array(40 * 36 * 3).map((_, i) => (i % 7) / 7);
      fs.writeFileSync(img, encodePng({ data, height: 36, width: 40, channels: 3 }));
      const p = await predictCommand(out, [img], { backend: 'wasm' });
      expect(p.predictions).toHaveLength(1);
      const fractions = Object.values(p.predictions[0]!.probabilities!);
      expect(fractions.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      if (recipe.task === 'few-shot') {
        expect(summary.fewShot!.episodes).toBeGreaterThan(1);
        expect(summary.metrics.fewshot_accuracy).toBe(summary.fewShot!.mean);
      } else if (recipe.task === 'multiple-instance') {
        // The image is a bag of one instance; a strip of three square tiles is a bag of three.
        expect(p.predictions[0]!.instances).toHaveLength(1);
        const strip = path.join(out, 'strip.png');
        fs.writeFileSync(strip, encodePng({ data: new Float32Array(28 * 84).map((_, i) => (i % 5) / 5), height: 28, width: 84, channels: 1 }));
        const q = await predictCommand(out, [strip], { backend: 'wasm' });
        expect(q.predictions[0]!.instances!.map((x) => x.instance)).toEqual(['strip.png#0', 'strip.png#1', 'strip.png#2']);
        expect(Object.values(q.predictions[0]!.probabilities!).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
        expect(summary.confusion!.flat().reduce((a, b) => a + b, 0)).toBe(6);
        expect(summary.classNames).toEqual(['negative', 'contains 9']);
      } else {
        expect(summary.perClassIoU!.length).toBe(summary.classNames!.length);
        expect(summary.samples!.length).toBeGreaterThan(0);
        const mask = fs.readFileSync(p.predictions[0]!.output!);
        expect(mask.subarray(1, 4).toString()).toBe('PNG');
      }
    } else {
      const p = await predictCommand(out, ['a wonderful product, works perfectly', 'broke after a day, avoid'], { backend: 'wasm' });
      for (const pred of p.predictions) {
        const probs = Object.values(pred.probabilities!);
        expect(probs).toHaveLength(2);
        expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
      }
      expect(JSON.parse(fs.readFileSync(p.file, 'utf8'))).toHaveLength(2);
    }
  });
});

describe('lel train with SWA', () => {
  it('averages during the run and keeps the averaged weights', async () => {
    const out = path.join(tempDir('swa'), 'run');
    const r = await trainCommand('cct-supervised', { set: [...TINY_SETS['cct-supervised']!, 'train.maxSteps=4', 'swa.enabled=true', 'swa.unit=step', 'swa.swaStart=0.25'], out, progress: 'none', log: quiet, backend: 'wasm' });
    expect(r.summary!.bestFrom).toMatch(/SWA/);
    // The averaged weights (metadata: how many models) are exactly the weights the run keeps in best/.
    const swa = await readSafetensorsFile(path.join(out, 'swa.safetensors'));
    expect(Number(swa.metadata.n_averaged)).toBeGreaterThanOrEqual(2);
    const best = await readSafetensorsFile(path.join(out, 'best', 'model.safetensors'));
    expect([...best.tensors.keys()].sort()).toEqual([...swa.tensors.keys()].sort());
    for (const [k, t] of swa.tensors) expect(Array.from(best.tensors.get(k)!.data as Float32Array), k).toEqual(Array.from(t.data as Float32Array));
  });
});

describe('lel train mil-ib', () => {
  it('trains exactly as @lel/vib trainMilIb on the same bags (the app only adds checkpoints, evaluation and SWA)', async () => {
    const out = path.join(tempDir('mil-ib-parity'), 'run');
    const sets = ['data.labelled.n=8', 'data.labelled.heldOut=4', 'mil.hiddenDim=8', 'mil.attentionDim=4', 'mil.numSamples=3', 'mil.topK=4', 'train.epochs=2', 'mil.lr=1e-2', 'seed=3', 'train.evalEvery=100'];
    const r = await trainCommand('mil-ib', { set: sets, out, progress: 'none', log: quiet, backend: 'wasm' });
    expect(r.summary!.steps).toBe(16);
    const { config } = loadRunConfig(out);
    const c = config as unknown as { seed: number; data: unknown; mil: Record<string, unknown>; train: { epochs: number } };
    const bags = await resolveMilData(MilData.parse(c.data));
    const { model } = await trainMilIb(bags.parts.labelled!, { ...c.mil, epochs: c.train.epochs, inputDim: bags.dim, seed: c.seed });
    try {
      const best = await readSafetensorsFile(path.join(out, 'best', 'model.safetensors'));
      const own = model.stateDict();
      expect([...best.tensors.keys()].sort()).toEqual([...own.keys()].sort());
      for (const [k, t] of own) expect(Array.from(best.tensors.get(k)!.data as Float32Array), k).toEqual(Array.from(t.dataSync()));
    } finally {
      model.dispose();
    }
  });
});
