import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The repository root: the nearest folder at or above `from` with pnpm-workspace.yaml (else `from` itself), so
 * `pnpm effects` and `pnpm demo`, which run in apps/lel, read and write the repository's docs/ and runs/.
 */
export function repoRoot(from = process.cwd()): string {
  for (let dir = path.resolve(from); ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'pnpm-workspace.yaml'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(from);
  }
}
