import * as fs from 'node:fs';
import * as path from 'node:path';
import { readConfigFile } from '../config/load';
import type { ConfigTree } from '../config/overrides';
import { getRecipe } from '../recipes';
import { resolveTrainConfig } from '../train';
import { cellLabel, type GridPoint } from './manifest';
import { runId } from './run-id';
import { flattenSets, seedList, type LoadedSpec, type SweepSpec } from './spec';

/** One cell of the grid: an arm at a point with a seed, and the run it needs. */
export interface SweepCell {
  arm: string;
  recipe: string;
  point: GridPoint;
  seed: number;
  /** The run's id (cells whose configs resolve alike share one run). */
  id: string;
}

/** One run to train: a unique resolved config. */
export interface PlannedRun {
  id: string;
  recipe: string;
  /** `lel train <recipe> --set …` overrides that give this config (those of the first cell using it). */
  sets: string[];
  /** The resolved config (what `config.resolved.yaml` will hold). */
  config: ConfigTree;
  /** Run folder relative to the runs folder: `<sweep name>/<id>` (POSIX separators: it travels in queue jobs). */
  dir: string;
  /** The cells this run fills. */
  cells: Pick<SweepCell, 'arm' | 'point' | 'seed'>[];
  /**
   * Ids of runs of the same plan that must finish first (e.g. a distillation's teacher run); the local pool starts
   * this one only after them, and fails it when one of them failed. Sweep specs have none.
   */
  after?: string[];
}

/** A sweep expanded into its grid. */
export interface SweepPlan {
  name: string;
  spec: SweepSpec;
  specFile?: string;
  /** Axis keys, in grid order (the label-fraction key first when given). */
  axes: string[];
  arms: string[];
  seeds: number[];
  cells: SweepCell[];
  /** Unique runs, in grid order. */
  runs: PlannedRun[];
}

function cartesian(axes: [string, unknown[]][]): GridPoint[] {
  let points: GridPoint[] = [{}];
  for (const [key, values] of axes) points = points.flatMap((p) => values.map((v) => ({ ...p, [key]: v })));
  return points;
}

/**
 * Expand a spec into its grid: arms × axis points × seeds. Each cell's overrides are, lowest precedence first,
 * the sweep's `config` file, the arm's `config` file, the sweep's `set`, the point's axis values, the arm's `set`
 * (so a ceiling arm can pin the label fraction) and the seed keys; each is resolved exactly as `lel train` resolves
 * it (recipe defaults, schema validation) and named by the hash of the result. Every invalid cell is reported at
 * once, before anything runs.
 */
export function planSweep(loaded: LoadedSpec): SweepPlan {
  const { spec, name } = loaded;
  const source = loaded.file ? `sweep spec ${loaded.file}` : 'sweep';
  const fileSets = (file: string | undefined, what: string): string[] => {
    if (!file) return [];
    const abs = path.resolve(loaded.dir, file);
    if (!fs.existsSync(abs)) throw new Error(`${source}: ${what} ${file}: no such file (paths are relative to the spec)`);
    return flattenSets(readConfigFile(abs));
  };
  const arms = spec.arms ?? [{ label: spec.recipe!, set: [] as string[] | Record<string, unknown> }];
  const axisEntries: [string, unknown[]][] = [...(spec.labelFractions ? [[spec.labelFractionKey, spec.labelFractions] as [string, unknown[]]] : []), ...Object.entries(spec.axes)];
  const points = cartesian(axisEntries);
  const seeds = seedList(spec);
  const specFile = fileSets(spec.config, 'config');
  const specSets = flattenSets(spec.set);
  const cells: SweepCell[] = [];
  const runs = new Map<string, PlannedRun>();
  const problems = new Map<string, string[]>();
  for (const arm of arms) {
    const recipeName = ('recipe' in arm && arm.recipe) || spec.recipe!;
    let recipe;
    try {
      recipe = getRecipe(recipeName);
    } catch (e) {
      throw new Error(`${source}: arm "${arm.label}": ${(e as Error).message}`);
    }
    const armFile = fileSets('config' in arm ? arm.config : undefined, `arm "${arm.label}" config`);
    for (const point of points) {
      for (const seed of seeds) {
        const sets = [
          ...specFile,
          ...armFile,
          ...specSets,
          ...Object.entries(point).map(([k, v]) => `${k}=${JSON.stringify(v)}`),
          ...flattenSets(arm.set),
          ...spec.seedKeys.map((k) => `${k}=${seed}`),
        ];
        const cell = { arm: arm.label, point, seed };
        let config: ConfigTree;
        try {
          config = resolveTrainConfig(recipe, { sets }) as ConfigTree;
        } catch (e) {
          const msg = (e as Error).message;
          problems.set(msg, [...(problems.get(msg) ?? []), cellLabel(cell)]);
          continue;
        }
        const id = runId(config);
        cells.push({ ...cell, recipe: recipe.name, id });
        const run = runs.get(id);
        if (run) run.cells.push(cell);
        else runs.set(id, { id, recipe: recipe.name, sets, config, dir: `${name}/${id}`, cells: [cell] });
      }
    }
  }
  if (problems.size > 0) {
    const lines = [...problems].map(([msg, where]) => `${where.length === 1 ? where[0] : `${where[0]} (and ${where.length - 1} more)`}: ${msg}`);
    const n = [...problems.values()].reduce((a, w) => a + w.length, 0);
    throw new Error(`${source}: ${n === 1 ? '1 cell has' : `${n} cells have`} an invalid config (nothing was started):\n${lines.join('\n')}`);
  }
  return {
    name,
    spec,
    ...(loaded.file ? { specFile: path.resolve(loaded.file) } : {}),
    axes: axisEntries.map(([k]) => k),
    arms: arms.map((a) => a.label),
    seeds,
    cells,
    runs: [...runs.values()],
  };
}
