import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJsonFile } from '@lel/core/node';
import { packageVersion } from '../banner';
import { repoRoot } from './repo-root';

/** The code a run was trained with. */
export interface CodeVersion {
  /** The LEL commit (`git rev-parse HEAD` of the checkout); absent outside a git checkout (an installed app). */
  commit?: string;
  /** Whether tracked files under packages/ or apps/ differed from `commit` (absent with no commit). */
  dirty?: boolean;
  /** Versions of the app and of @lel/core. */
  packages: Record<string, string>;
}

/** Who trained a grid run: the code version, the backend, and when. */
export interface RunProvenance extends CodeVersion {
  /** The tfjs backend the run trained on (the requested one when the trainer does not say). */
  backend: string;
  /** ISO time this attempt started. */
  startedAt: string;
  /** ISO time the run finished (absent while it trains, or when that attempt was interrupted). */
  finishedAt?: string;
  /** The run continued from a checkpoint. */
  resumed?: boolean;
}

/** The `effects-run.json` of a grid run folder. */
export interface EffectsRunRecord {
  recipe: string;
  seed: number;
  sets: string[];
  /** The attempt that trained (or is training) the run; absent in runs trained before provenance was recorded. */
  provenance?: RunProvenance;
  /** Interrupted attempts whose checkpoints the run continued from, oldest first. */
  earlier?: RunProvenance[];
}

/** File name of the record in a run folder. */
export const RUN_RECORD = 'effects-run.json';

/** How reports name runs without a provenance record. */
export const NOT_RECORDED = 'not recorded';

const git = (root: string, args: string[]) => execFileSync('git', ['-C', root, '--no-optional-locks', ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();

/**
 * The version of the code in this process. Inside the LEL repository (found from this module's folder as
 * {@link repoRoot} does, and only when that folder is a git checkout holding `apps/lel` and this module is not under
 * node_modules) it is the commit of HEAD and whether tracked files under packages/ or apps/ are modified; outside
 * (an installed app, or git missing) the package versions only.
 */
export function codeVersion(from: string = path.dirname(fileURLToPath(import.meta.url))): CodeVersion {
  const packages = { lel: packageVersion('lel'), '@lel/core': packageVersion('@lel/core') };
  const root = repoRoot(from);
  const inside = path.relative(root, path.resolve(from));
  if (!fs.existsSync(path.join(root, 'pnpm-workspace.yaml')) || !fs.existsSync(path.join(root, 'apps', 'lel', 'package.json')) || inside.startsWith('..') || inside.split(path.sep).includes('node_modules')) {
    return { packages };
  }
  try {
    // The checkout must be this folder itself, not an enclosing repository that happens to contain it.
    if (fs.realpathSync(git(root, ['rev-parse', '--show-toplevel'])) !== fs.realpathSync(root)) return { packages };
    const commit = git(root, ['rev-parse', 'HEAD']);
    const dirty = git(root, ['status', '--porcelain', '--untracked-files=no', '--', 'packages', 'apps']) !== '';
    return { commit, dirty, packages };
  } catch {
    return { packages };
  }
}

/** Short name of a code version: `ebbaca7`, `ebbaca7+dirty`, or the package versions outside a checkout. */
export function versionLabel(v: CodeVersion | undefined): string {
  if (!v) return NOT_RECORDED;
  if (v.commit) return `${v.commit.slice(0, 7)}${v.dirty ? '+dirty' : ''}`;
  return Object.entries(v.packages)
    .map(([name, version]) => `${name} ${version}`)
    .join(', ');
}

/**
 * The code version(s) a run was trained with, as one label: a run resumed from an attempt of other code names both
 * (`a + b`), and one resumed from an attempt that left no record names that part "not recorded".
 */
export function runVersionLabel(record: EffectsRunRecord | null | undefined): string {
  const p = record?.provenance;
  if (!p) return NOT_RECORDED;
  const parts = [...(record.earlier ?? []).map(versionLabel), ...(p.resumed && (record.earlier ?? []).length === 0 ? [NOT_RECORDED] : []), versionLabel(p)];
  return [...new Set(parts)].join(' + ');
}

/** The run folder's effects-run.json; null when absent (a run outside a grid). Throws naming the file when it is not JSON. */
export function readRunRecord(dir: string): EffectsRunRecord | null {
  const file = path.join(dir, RUN_RECORD);
  return fs.existsSync(file) ? readJsonFile<EffectsRunRecord>(file) : null;
}
