import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describeAdapter, type BackendInfo } from '@lel/core';

const require = createRequire(import.meta.url);
const appPackageJson = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'package.json');

/** Version of an installed package (`?` when it cannot be read). */
export function packageVersion(name: string): string {
  try {
    const file = name === 'lel' ? appPackageJson : require.resolve(`${name}/package.json`);
    return (JSON.parse(fs.readFileSync(file, 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    return '?';
  }
}

/** Inputs of {@link formatBanner}. */
export interface BannerInfo {
  command: string;
  recipe?: string;
  methodPackage?: string;
  backend: BackendInfo;
  seed?: number;
  runDir?: string;
  data?: string;
  resume?: string;
}

/** The startup banner: what runs, where, on which backend and versions, with which seed and data. */
export function formatBanner(b: BannerInfo): string {
  const lines = [
    `lel ${packageVersion('lel')} · ${b.command}${b.recipe ? ` ${b.recipe}` : ''}`,
    `  backend  ${b.backend.name} (${b.backend.packageName}, tfjs-core ${packageVersion('@tensorflow/tfjs-core')})${b.backend.adapter ? ` on ${describeAdapter(b.backend.adapter)}` : ''}${b.backend.notes.length ? ` — ${b.backend.notes.join('; ')}` : ''}`,
    `  node     ${process.version} on ${os.platform()}-${os.arch()}, ${os.cpus().length} CPU cores`,
  ];
  if (b.methodPackage) lines.push(`  method   ${b.methodPackage} ${packageVersion(b.methodPackage)} (@lel/core ${packageVersion('@lel/core')})`);
  if (b.seed !== undefined) lines.push(`  seed     ${b.seed}`);
  if (b.data) lines.push(`  data     ${b.data}`);
  if (b.runDir) lines.push(`  run      ${b.runDir}${b.resume ? ` (resuming from ${b.resume})` : ''}`);
  return lines.join('\n');
}
