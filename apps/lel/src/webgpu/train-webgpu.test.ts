import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { testBackends, webgpuSkipReason } from '@lel/core/testing';
import { tempDir } from '../testing';
import { trainCommand } from '../train';

// `lel train` end to end on the webgpu backend (#21): a small segmentation recipe for a few steps, a checkpoint,
// a resume from it, and per-step losses equal to the cpu backend's within float32 rounding. It runs in the webgpu
// pass (`pnpm test:webgpu:all`, LEL_TEST_BACKENDS=webgpu): on a software adapter (CI's lavapipe) a step costs
// seconds, so the scenes are 16 × 16 and the run is 4 steps.
const wanted = testBackends().includes('webgpu');
const reason = wanted ? await webgpuSkipReason() : 'webgpu pass only (pnpm test:webgpu:all sets LEL_TEST_BACKENDS=webgpu)';

const SETS = ['data.labelled.n=16', 'data.labelled.heldOut=4', 'data.size=16', 'train.logEvery=1', 'train.checkpointEvery=2', 'train.evalEvery=100'];
const quiet = { log: () => {}, progress: 'none' as const };

/** Training losses by step from a run's metrics.jsonl (the last record of a step wins: a resume rewrites none). */
function lossesOf(runDir: string): Map<number, number> {
  const out = new Map<number, number>();
  for (const line of fs.readFileSync(path.join(runDir, 'metrics.jsonl'), 'utf8').split('\n')) {
    if (!line.trim()) continue;
    const r = JSON.parse(line) as { type?: string; step?: number; loss?: number };
    if (r.type === 'train' && typeof r.step === 'number' && typeof r.loss === 'number') out.set(r.step, r.loss);
  }
  return out;
}

describe.skipIf(reason !== undefined)(`lel train on webgpu${reason ? ` (skipped: ${reason})` : ''}`, () => {
  it('cct-supervised: 2 steps, checkpoint, resume to 4; losses finite and equal to cpu within float32 rounding', { timeout: 600_000 }, async () => {
    const dir = tempDir('webgpu-train');
    const cpuDir = path.join(dir, 'cpu');
    const gpuDir = path.join(dir, 'webgpu');
    await trainCommand('cct-supervised', { ...quiet, backend: 'cpu', out: cpuDir, set: [...SETS, 'train.maxSteps=4'] });
    const first = await trainCommand('cct-supervised', { ...quiet, backend: 'webgpu', out: gpuDir, set: [...SETS, 'train.maxSteps=2'] });
    expect(first.summary?.steps).toBe(2);
    expect(fs.readdirSync(path.join(gpuDir, 'checkpoints')).some((d) => d.includes('2'))).toBe(true);
    const resumed = await trainCommand('cct-supervised', { ...quiet, backend: 'webgpu', out: gpuDir, resume: 'last', allowConfigChange: true, set: [...SETS, 'train.maxSteps=4'] });
    expect(resumed.summary?.steps).toBe(4);

    const cpu = lossesOf(cpuDir);
    const gpu = lossesOf(gpuDir);
    expect([...gpu.keys()].sort((a, b) => a - b)).toEqual([1, 2, 3, 4]);
    const drift: string[] = [];
    for (const [step, expected] of cpu) {
      const actual = gpu.get(step)!;
      expect(Number.isFinite(actual), `step ${step} loss ${actual}`).toBe(true);
      // Same float32 arithmetic in a different order (GPU reductions, LEL's WGSL kernels) over a few SGD steps.
      if (Math.abs(actual - expected) > 1e-5 + 1e-4 * Math.abs(expected)) drift.push(`step ${step}: webgpu ${actual}, cpu ${expected}`);
    }
    expect(drift).toEqual([]);
    fs.rmSync(dir, { recursive: true, force: true });
  });
});
