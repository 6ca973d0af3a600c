import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '@lel/core/node';
import type { SweepCell, SweepPlan } from './plan';
import type { SweepSpec } from './spec';

/** A point of the grid: axis key → value. */
export type GridPoint = Record<string, unknown>;

/** File name of a sweep's manifest, in `<runs>/<name>/`. */
export const SWEEP_MANIFEST = 'sweep.json';

/** A readable one-line name of a grid point (`data.labelled.fraction=0.25 cct.optim.lr=0.01`), '' for none. */
export function pointLabel(point: GridPoint): string {
  return Object.entries(point)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
}

/** `arm point seed=s`: how a cell is named in progress lines and errors. */
export function cellLabel(cell: Pick<SweepCell, 'arm' | 'point' | 'seed'>): string {
  return [cell.arm, pointLabel(cell.point), `seed=${cell.seed}`].filter(Boolean).join(' ');
}

/** What `sweep.json` holds: the grid, so `status` and `report` work from the folder alone. */
export interface SweepManifest {
  name: string;
  specFile?: string;
  spec: SweepSpec;
  axes: string[];
  arms: string[];
  seeds: number[];
  cells: SweepCell[];
  runs: { id: string; recipe: string; dir: string; sets: string[] }[];
  updated: string;
}

/** Write `<runsDir>/<name>/sweep.json` (atomic); returns the sweep folder. */
export function writeManifest(plan: SweepPlan, runsDir: string): string {
  const dir = path.join(runsDir, plan.name);
  fs.mkdirSync(dir, { recursive: true });
  const manifest: SweepManifest = {
    name: plan.name,
    ...(plan.specFile ? { specFile: plan.specFile } : {}),
    spec: plan.spec,
    axes: plan.axes,
    arms: plan.arms,
    seeds: plan.seeds,
    cells: plan.cells,
    runs: plan.runs.map((r) => ({ id: r.id, recipe: r.recipe, dir: r.dir, sets: r.sets })),
    updated: new Date().toISOString(),
  };
  writeFileAtomicSync(path.join(dir, SWEEP_MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
  return dir;
}

/** Read a sweep folder's manifest; the error says how a folder gets one. */
export function readManifest(sweepDir: string): SweepManifest {
  const file = path.join(sweepDir, SWEEP_MANIFEST);
  if (!fs.existsSync(file)) throw new Error(`${sweepDir} is not a sweep folder (no ${SWEEP_MANIFEST}; \`lel sweep <spec>\` writes it)`);
  return JSON.parse(fs.readFileSync(file, 'utf8')) as SweepManifest;
}
