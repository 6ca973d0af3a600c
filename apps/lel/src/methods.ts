import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** What a method package declares in its package.json `"lel"` field (all optional). */
export interface MethodInfo {
  package: string;
  version: string;
  description: string;
  /** The package.json `lel` field, when present. */
  lel?: Record<string, unknown>;
  source: 'dependency' | 'workspace';
}

const appDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function readPkg(file: string): { name?: string; version?: string; description?: string; lel?: Record<string, unknown> } | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/**
 * Installed LEL packages: the app's `@lel/*` dependencies (resolved from its node_modules) and, when run inside the
 * repository, every `packages/<name>/package.json` and `examples/<name>/package.json` (where `pnpm new-method`
 * puts contributed and example methods). A package with a `"lel"` field describes its method there.
 */
export function listMethods(): MethodInfo[] {
  const out = new Map<string, MethodInfo>();
  const appPkg = readPkg(path.join(appDir, 'package.json'));
  const deps = Object.keys({ ...((appPkg as { dependencies?: Record<string, string> } | undefined)?.dependencies ?? {}) }).filter((d) => d.startsWith('@lel/'));
  for (const dep of deps) {
    const pkg = readPkg(path.join(appDir, 'node_modules', dep, 'package.json'));
    if (pkg?.name) out.set(pkg.name, { package: pkg.name, version: pkg.version ?? '?', description: pkg.description ?? '', ...(pkg.lel ? { lel: pkg.lel } : {}), source: 'dependency' });
  }
  for (const folder of ['packages', 'examples']) {
    const packagesDir = path.resolve(appDir, '..', '..', folder);
    if (!fs.existsSync(packagesDir)) continue;
    for (const d of fs.readdirSync(packagesDir).sort()) {
      const pkg = readPkg(path.join(packagesDir, d, 'package.json'));
      if (!pkg?.name?.startsWith('@lel/') || out.has(pkg.name)) continue;
      out.set(pkg.name, { package: pkg.name, version: pkg.version ?? '?', description: pkg.description ?? '', ...(pkg.lel ? { lel: pkg.lel } : {}), source: 'workspace' });
    }
  }
  return [...out.values()].sort((a, b) => a.package.localeCompare(b.package));
}
