import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ConfigTree } from '../config/overrides';
import { getRecipe } from '../recipes';
import { tempDir } from '../testing';
import { resolveTrainConfig } from '../train';
import { runLocalSweep } from './local-pool';
import type { PlannedRun } from './plan';

describe('local pool: runs that wait for others (PlannedRun.after)', () => {
  it('never starts a run whose prerequisite failed or is not in the plan, and says why', async () => {
    const runsDir = tempDir('pool-after');
    const planned = (id: string, sets: string[], after?: string[]): PlannedRun => ({
      id,
      recipe: 'kd',
      sets,
      config: resolveTrainConfig(getRecipe('kd'), { sets }) as ConfigTree,
      dir: id,
      cells: [{ arm: id, point: {}, seed: 0 }],
      ...(after ? { after } : {}),
    });
    // The teacher run does not exist: `lel train kd` fails at once with a clear error (not retried).
    const broken = planned('broken', [`teacher.run=${path.join(runsDir, 'missing')}`, 'data.labelled.n=20', 'data.labelled.heldOut=4', 'train.maxSteps=2']);
    const dependent = planned('dependent', ['data.labelled.n=20'], ['broken']);
    const orphan = planned('orphan', ['data.labelled.n=24'], ['elsewhere']);
    const lines: string[] = [];
    const started: string[] = [];
    const outcome = await runLocalSweep(
      { name: 'after', runs: [dependent, orphan, broken], spec: { retries: 1 } },
      { runsDir, workers: 2, stream: { write: (s: string) => lines.push(s) }, onLaunch: (r) => started.push(r.id) },
    );
    expect(started).toEqual(['broken']);
    expect(outcome.done).toEqual([]);
    expect(outcome.interrupted).toBe(false);
    const error = (id: string) => outcome.failed.find((f) => f.id === id)?.error;
    expect(error('broken')).toMatch(/missing is not a run folder/);
    expect(error('dependent')).toBe('not started: it needs run broken, which failed');
    expect(error('orphan')).toBe('not started: it needs run elsewhere, which is not in the plan');
    expect(fs.existsSync(path.join(runsDir, 'dependent'))).toBe(false);
    expect(lines.join('')).toMatch(/\[sweep\] FAILED {2}dependent dependent seed=0: not started/);
  });
});
