import * as fs from 'node:fs';
import * as path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { validateWithSchema } from '../config/validate';

/** A sweep name: it names the sweep's folder under the runs folder and prefixes its queue jobs. */
const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, { message: 'use letters, digits, ".", "_" and "-" (it names a folder)' });

/** A dotted config key, as `--set` takes it (`train.maxSteps`). */
const Key = z.string().regex(/^[^.=\s]+(\.[^.=\s]+)*$/, { message: 'a dotted config key such as train.maxSteps' });

/**
 * Overrides: a list of `key=value` strings (exactly `--set`), or a mapping. A mapping's keys may be dotted and its
 * nested mappings are walked down to their leaves, so `{train: {maxSteps: 40}}` and `{train.maxSteps: 40}` are the
 * same single override (a mapping merges into the config; use the string form to replace a whole section).
 */
const Sets = z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).default([]);

/** One arm: a recipe with its own overrides (applied after the axes, so an arm can pin an axis key). */
const Arm = z
  .object({
    /** Row label in the status grid and the report; unique within the sweep. */
    label: Name,
    /** Defaults to the sweep's `recipe`. */
    recipe: z.string().optional(),
    /** A YAML config merged over the sweep's `config` (relative to the spec file). */
    config: z.string().optional(),
    set: Sets,
  })
  .strict();

/** What `report` compares. */
const ReportSection = z
  .object({
    /** The arm every other arm is compared with (paired by seed). Default: the first arm. */
    baseline: z.string().optional(),
    /** Explicit comparisons `[arm, baseline]` instead of "every arm vs the baseline". */
    compare: z.array(z.tuple([z.string(), z.string()])).optional(),
    /** Metrics to tabulate (default: every metric the finished runs report). */
    metrics: z.array(z.string()).optional(),
    /** Confidence level of the intervals. */
    confidence: z.number().gt(0).lt(1).default(0.95),
  })
  .strict()
  .prefault({});

/** The sweep spec (YAML): a recipe, the arms, the axes to cross, the seeds; see the app README. */
export const SweepSpecSchema = z
  .object({
    /** Default: the spec file's name without extension. */
    name: Name.optional(),
    /** Recipe of every arm that does not name its own. */
    recipe: z.string().optional(),
    /** A YAML config merged over the recipe defaults (relative to the spec file). */
    config: z.string().optional(),
    /** Overrides of every run, applied before the axes. */
    set: Sets,
    /** Default: one arm named after the recipe. */
    arms: z.array(Arm).min(1).optional(),
    /** Config key → the values to cross (any YAML values). */
    axes: z.record(Key, z.array(z.unknown()).min(1)).default({}),
    /** Label fractions to cross, written to `labelFractionKey`. */
    labelFractions: z.array(z.number().gt(0).max(1)).min(1).optional(),
    labelFractionKey: Key.default('data.labelled.fraction'),
    /** A count n (seeds 0…n−1) or the list of seeds. Every arm runs every seed: the report pairs arms by seed. */
    seeds: z.union([z.number().int().min(1), z.array(z.number().int().min(0)).min(1)]).default(1),
    /** Keys set to the seed (the run's generators and its data split). */
    seedKeys: z.array(Key).min(1).default(['seed', 'data.seed']),
    /** Where the sweep's folder goes (`<runsDir>/<name>/<run id>/`, relative to the working directory); `--runs-dir` overrides it. */
    runsDir: z.string().optional(),
    /** Backend of every run (`lel train --backend`); `--backend` overrides it. */
    backend: z.string().optional(),
    /** How often a run whose process died (not a failure of the run itself) is started again. */
    retries: z.number().int().min(0).default(2),
    report: ReportSection,
  })
  .strict();

/** A parsed spec (defaults applied). */
export type SweepSpec = z.output<typeof SweepSpecSchema>;

/** A spec with where it came from (relative config paths are read from `dir`). */
export interface LoadedSpec {
  spec: SweepSpec;
  name: string;
  /** Folder relative paths in the spec are resolved against. */
  dir: string;
  /** The spec file, when it came from one. */
  file?: string;
}

/** Read a sweep spec file as a plain mapping (not yet validated). */
export function readSpecFile(file: string): Record<string, unknown> {
  if (!fs.existsSync(file)) throw new Error(`sweep spec ${file}: no such file`);
  let raw: unknown;
  try {
    raw = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new Error(`sweep spec ${file}: not valid YAML: ${(e as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new Error(`sweep spec ${file}: the top level must be a mapping (recipe, arms, axes, seeds, …)`);
  return raw as Record<string, unknown>;
}

/**
 * Load a sweep: a spec file, flags, or both (flags apply over the file). Every error names the file and the key.
 * Without a file, relative paths are read from the working directory and the sweep needs a `--name` or a recipe.
 */
export function loadSweepSpec(file: string | undefined, flags: SpecFlags = {}): LoadedSpec {
  const raw = specFromFlags(flags, file ? readSpecFile(file) : {});
  if (!file && raw.recipe === undefined) throw new Error('lel sweep: give a spec file, or at least --recipe (see `lel sweep --help`)');
  if (file) return checkSpec(raw, { source: `sweep spec ${file}`, dir: path.dirname(path.resolve(file)), file, defaultName: path.basename(file).replace(/\.(ya?ml|json)$/i, '') });
  return checkSpec(raw, { source: 'lel sweep flags', dir: process.cwd(), defaultName: `sweep-${String(raw.recipe)}` });
}

/** Validate a spec given as an object (from flags or code); `dir` resolves its relative config paths. */
export function checkSpec(raw: unknown, where: { source: string; dir: string; file?: string; defaultName?: string }): LoadedSpec {
  const spec = validateWithSchema(SweepSpecSchema, raw, where.source);
  const arms = spec.arms ?? [];
  if (!spec.recipe && arms.some((a) => !a.recipe)) throw new Error(`${where.source}: give \`recipe\` (the default recipe), or a recipe for every arm`);
  const labels = new Set<string>();
  for (const a of arms) {
    if (labels.has(a.label)) throw new Error(`${where.source}: arms: the label "${a.label}" is used twice`);
    labels.add(a.label);
  }
  const armLabels = arms.length > 0 ? arms.map((a) => a.label) : [spec.recipe!];
  for (const ref of [spec.report.baseline, ...(spec.report.compare ?? []).flat()]) {
    if (ref !== undefined && !armLabels.includes(ref)) throw new Error(`${where.source}: report: no arm "${ref}"; arms: ${armLabels.join(', ')}`);
  }
  if (spec.labelFractions && spec.axes[spec.labelFractionKey]) throw new Error(`${where.source}: ${spec.labelFractionKey} is both an axis and labelFractionKey; give its values once`);
  const seeds = seedList(spec);
  if (new Set(seeds).size !== seeds.length) throw new Error(`${where.source}: seeds: a seed is listed twice`);
  const name = spec.name ?? where.defaultName;
  if (!name) throw new Error(`${where.source}: give the sweep a \`name\``);
  const named = Name.safeParse(name);
  if (!named.success) throw new Error(`${where.source}: the sweep name "${name}" is not usable as a folder name: use letters, digits, ".", "_" and "-" (set \`name\`)`);
  return { spec, name, dir: where.dir, ...(where.file ? { file: where.file } : {}) };
}

/** The seeds of a spec, in order. */
export function seedList(spec: SweepSpec): number[] {
  return typeof spec.seeds === 'number' ? Array.from({ length: spec.seeds }, (_, i) => i) : spec.seeds;
}

/** Sweep flags (`lel sweep --recipe … --axis key=[…] --seeds …`) as a spec object. */
export interface SpecFlags {
  recipe?: string;
  name?: string;
  config?: string;
  set?: string[];
  axis?: string[];
  seeds?: string;
  labelFractions?: string;
  labelFractionKey?: string;
}

/**
 * Build a spec from flags: `--axis key=[v1, v2]` (a YAML flow list; a bare value is one value), `--seeds 0,1,2` (as
 * `lel bench`), `--label-fractions 0.125,0.25`. Flags given alongside a spec file are applied over it.
 */
export function specFromFlags(flags: SpecFlags, base: Record<string, unknown> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base };
  if (flags.recipe !== undefined) out.recipe = flags.recipe;
  if (flags.name !== undefined) out.name = flags.name;
  // A flag's path is the user's, relative to where the command was typed (a spec's paths are relative to the spec).
  if (flags.config !== undefined) out.config = path.resolve(flags.config);
  if (flags.set && flags.set.length > 0) {
    const prior = out.set === undefined ? [] : Array.isArray(out.set) ? (out.set as string[]) : flattenSets(out.set as Record<string, unknown>);
    out.set = [...prior, ...flags.set];
  }
  if (flags.axis && flags.axis.length > 0) {
    const axes: Record<string, unknown[]> = { ...((out.axes as Record<string, unknown[]> | undefined) ?? {}) };
    for (const a of flags.axis) {
      const eq = a.indexOf('=');
      if (eq <= 0) throw new Error(`--axis ${JSON.stringify(a)}: expected key=[v1, v2, …] (for example --axis mil.lr=[1e-4,1e-3])`);
      let values: unknown;
      try {
        values = parseYaml(a.slice(eq + 1));
      } catch (e) {
        throw new Error(`--axis ${JSON.stringify(a)}: the values are not YAML: ${(e as Error).message}`);
      }
      axes[a.slice(0, eq).trim()] = Array.isArray(values) ? values : [values];
    }
    out.axes = axes;
  }
  if (flags.seeds !== undefined) out.seeds = parseNumberList(flags.seeds, '--seeds');
  if (flags.labelFractions !== undefined) out.labelFractions = parseNumberList(flags.labelFractions, '--label-fractions');
  if (flags.labelFractionKey !== undefined) out.labelFractionKey = flags.labelFractionKey;
  return out;
}

function parseNumberList(text: string, flag: string): number[] {
  const parts = text.split(',').map((s) => s.trim()).filter(Boolean);
  const nums = parts.map(Number);
  const bad = parts.findIndex((_, i) => !Number.isFinite(nums[i]));
  if (parts.length === 0 || bad >= 0) throw new Error(`${flag} ${JSON.stringify(text)}: expected comma-separated numbers`);
  return nums;
}

/**
 * The `key=value` overrides of a `set` (list or mapping). Mapping values are written as JSON, which `--set` reads
 * back as YAML to the same value (strings stay strings, `[8, 16]` a list).
 */
export function flattenSets(sets: readonly string[] | Record<string, unknown>, prefix = ''): string[] {
  if (Array.isArray(sets)) return [...(sets as string[])];
  const out: string[] = [];
  for (const [k, v] of Object.entries(sets)) {
    const key = prefix ? `${prefix}.${k}` : k;
    // A mapping merges: an empty one changes nothing (as `--config` merging it would).
    if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(...flattenSets(v as Record<string, unknown>, key));
    else out.push(`${key}=${JSON.stringify(v)}`);
  }
  return out;
}
