import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { EffectArm, EffectSetting } from './types';

/** One training run of the grid: an arm of a setting for one seed, as a plain recipe config. */
export interface GridRun {
  /** Identity of the arm's config (recipe + overrides, seed excluded): equal configs share runs across settings. */
  key: string;
  recipe: string;
  seed: number;
  /** Every `--set` of the run, substitutions done (seed included). */
  sets: string[];
  /** Run folder. */
  dir: string;
  /** Keys of the runs this one reads (`{run:<arm>}`), which must finish first. */
  needs: string[];
}

const RUN_REF = /\{run:([^}]+)\}/g;

/**
 * The config a list of `--set` overrides amounts to, independent of how it was written: the last value of each key
 * wins, keys sorted. Two arms that end at the same config (e.g. a ceiling written after a 1/8 or a 1/16 default)
 * share one run.
 */
export function canonicalSets(sets: readonly string[]): [string, string][] {
  const m = new Map<string, string>();
  for (const s of sets) {
    const eq = s.indexOf('=');
    const key = eq < 0 ? s : s.slice(0, eq).trim();
    m.delete(key);
    m.set(key, eq < 0 ? '' : s.slice(eq + 1).trim());
  }
  return [...m].sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
}

/** Whether two override lists amount to the same config ({@link canonicalSets}). */
export function sameSets(a: readonly string[], b: readonly string[]): boolean {
  return JSON.stringify(canonicalSets(a)) === JSON.stringify(canonicalSets(b));
}

/** Folder-safe form of a recipe name. */
function slug(s: string): string {
  return s.replace(/[^A-Za-z0-9._-]+/g, '-');
}

/**
 * The config identity of every trained arm of a setting: sha-256 of the recipe and its overrides, where `{run:x}`
 * stands for x's own identity (so a teacher change re-runs its students). Arms with `from` have none.
 */
export function armKeys(setting: EffectSetting, quick: boolean): Map<string, string> {
  const keys = new Map<string, string>();
  const byId = new Map(setting.arms.map((a) => [a.id, a]));
  const visiting = new Set<string>();
  const keyOf = (arm: EffectArm): string => {
    const known = keys.get(arm.id);
    if (known) return known;
    if (!arm.recipe) throw new Error(`effects: setting ${setting.id}, arm ${arm.id} has neither a recipe nor a trained arm to read`);
    if (visiting.has(arm.id)) throw new Error(`effects: setting ${setting.id}: arm ${arm.id} refers to itself through {run:…}`);
    visiting.add(arm.id);
    const sets = [...(setting.sets ?? []), ...(arm.sets ?? []), ...(quick ? (setting.quick ?? []) : [])].map((s) =>
      s.replace(RUN_REF, (_m, id: string) => {
        const dep = byId.get(id);
        if (!dep) throw new Error(`effects: setting ${setting.id}, arm ${arm.id}: {run:${id}} names no arm`);
        return `{run:${keyOf(dep)}}`;
      }),
    );
    const hash = createHash('sha256').update(JSON.stringify({ recipe: arm.recipe, sets: canonicalSets(sets) })).digest('hex').slice(0, 10);
    const key = `${slug(arm.recipe)}-${hash}`;
    visiting.delete(arm.id);
    keys.set(arm.id, key);
    return key;
  };
  for (const arm of setting.arms) {
    if (arm.from) {
      const src = byId.get(arm.from);
      if (!src) throw new Error(`effects: setting ${setting.id}, arm ${arm.id}: from "${arm.from}" names no arm`);
      if (!src.recipe) throw new Error(`effects: setting ${setting.id}, arm ${arm.id}: from "${arm.from}" is not a trained arm`);
      continue;
    }
    keyOf(arm);
  }
  return keys;
}

/** The arm whose run holds an arm's values (itself, or its `from`). */
export function sourceArm(setting: EffectSetting, arm: EffectArm): EffectArm {
  return arm.from ? setting.arms.find((a) => a.id === arm.from)! : arm;
}

/**
 * Every run the settings need for the seeds, deduplicated (equal configs share one run) and ordered so that a run
 * comes after the runs it reads. A run's folder is `<out>/<key>/seed<seed>` unless `dirOf` names it otherwise (the
 * demo's readable stage folders).
 */
export function planGrid(
  settings: readonly EffectSetting[],
  seeds: readonly number[],
  out: string,
  quick: boolean,
  dirOf: (key: string, seed: number) => string = (key, seed) => path.join(out, key, `seed${seed}`),
): { runs: GridRun[]; keys: Map<string, Map<string, string>> } {
  const byKey = new Map<string, GridRun>();
  const keys = new Map<string, Map<string, string>>();
  for (const setting of settings) keys.set(setting.id, armKeys(setting, quick));
  // Seed-major: an interrupted grid leaves whole seeds (every arm paired), not whole arms.
  for (const seed of seeds) {
    for (const setting of settings) {
      const k = keys.get(setting.id)!;
      for (const arm of setting.arms) {
        if (arm.from || !arm.recipe) continue;
        const key = k.get(arm.id)!;
        const id = `${key}/seed${seed}`;
        if (byKey.has(id)) continue;
        const needs: string[] = [];
        const sets = [...(setting.sets ?? []), ...(arm.sets ?? []), ...(quick ? (setting.quick ?? []) : [])].map((s) =>
          s.replaceAll('{seed}', String(seed)).replace(RUN_REF, (_m, ref: string) => {
            const depKey = k.get(ref)!;
            needs.push(`${depKey}/seed${seed}`);
            return dirOf(depKey, seed);
          }),
        );
        byKey.set(id, { key, recipe: arm.recipe, seed, sets: [`seed=${seed}`, ...sets], dir: dirOf(key, seed), needs });
      }
    }
  }
  // Dependencies first (stable otherwise).
  const ordered: GridRun[] = [];
  const placed = new Set<string>();
  const place = (id: string) => {
    if (placed.has(id)) return;
    const r = byKey.get(id)!;
    placed.add(id);
    r.needs.forEach(place);
    ordered.push(r);
  };
  for (const id of byKey.keys()) place(id);
  return { runs: ordered, keys };
}
