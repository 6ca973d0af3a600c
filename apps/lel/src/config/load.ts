import * as fs from 'node:fs';
import * as path from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import type { z } from 'zod';
import { writeFileAtomicSync } from '@lel/core/node';
import { applyOverrides, deepMerge, type ConfigTree } from './overrides';
import { ConfigError, validateWithSchema } from './validate';
import { CONFIG_MAX_BYTES, parseYamlGuarded } from './yaml-guard';

/** File name of the resolved config inside a run folder. */
export const RESOLVED_CONFIG = 'config.resolved.yaml';

/** Read a YAML (or JSON, which is YAML) config file into a tree; errors name the file and the line. */
export function readConfigFile(file: string): ConfigTree {
  if (!fs.existsSync(file)) throw new Error(`--config ${file}: no such file`);
  const stat = fs.statSync(file);
  if (!stat.isFile()) throw new Error(`--config ${file}: not a regular file`);
  if (stat.size > CONFIG_MAX_BYTES) throw new Error(`--config ${file}: ${stat.size} bytes, more than a config may hold (${CONFIG_MAX_BYTES})`);
  const text = fs.readFileSync(file, 'utf8');
  let parsed: unknown;
  try {
    parsed = parseYamlGuarded(text, `--config ${file}`);
  } catch (e) {
    const message = (e as Error).message;
    throw new Error(message.startsWith(`--config ${file}`) ? message : `--config ${file}: not valid YAML: ${message}`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error(`--config ${file}: the top level must be a mapping of keys, got ${Array.isArray(parsed) ? 'a list' : typeof parsed}`);
  return parsed as ConfigTree;
}

/** Inputs of {@link resolveConfig}, lowest precedence first. */
export interface ResolveInputs {
  /** The recipe's own defaults (tiny, CPU-friendly). */
  defaults: ConfigTree;
  /** `--config run.yaml`. */
  file?: string;
  /** `--set a.b=c`, applied last. */
  sets?: readonly string[];
  /** Keys of earlier config versions and where they live now: a config that still sets one is a clear error. */
  moved?: Readonly<Record<string, string>>;
}

/** The value at a dotted key of a config tree, or undefined. */
function valueAt(tree: ConfigTree, key: string): unknown {
  let v: unknown = tree;
  for (const k of key.split('.')) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/** defaults ← file ← --set, then schema validation (every error names the key and the allowed values). */
export function resolveConfig<S extends z.ZodType>(schema: S, inputs: ResolveInputs): z.output<S> {
  let tree = inputs.defaults;
  let source = 'config';
  if (inputs.file) {
    tree = deepMerge(tree, readConfigFile(inputs.file));
    source = inputs.file;
  }
  if (inputs.sets && inputs.sets.length > 0) {
    tree = applyOverrides(tree, inputs.sets);
    source = inputs.file ? `${inputs.file} with --set overrides` : 'config (defaults with --set overrides)';
  }
  const moved = Object.entries(inputs.moved ?? {}).filter(([key]) => valueAt(tree, key) !== undefined);
  // The most specific key first (`cct.train.epochs` before `cct.train`), one problem per key the user set.
  const problems = moved.filter(([key]) => !moved.some(([other]) => other !== key && other.startsWith(`${key}.`)));
  if (problems.length > 0) throw new ConfigError(problems.map(([key, message]) => ({ key, message })), source);
  return validateWithSchema(schema, tree, source);
}

/** Write the resolved config as YAML (atomically), the file a run is reproduced from. */
export function writeResolvedConfig(runDir: string, config: unknown): string {
  const file = path.join(runDir, RESOLVED_CONFIG);
  writeFileAtomicSync(file, `# Resolved config of this run: \`lel train --config ${RESOLVED_CONFIG}\` reproduces it.\n${stringifyYaml(config)}`);
  return file;
}

/** Read a run's resolved config. */
export function readResolvedConfig(runDir: string): ConfigTree {
  const file = path.join(runDir, RESOLVED_CONFIG);
  if (!fs.existsSync(file)) throw new Error(`${runDir} is not a run folder: it has no ${RESOLVED_CONFIG}`);
  return readConfigFile(file);
}
