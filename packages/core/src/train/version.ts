import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

/** Version of `@lel/core` (read once from its package.json; `unknown` when it cannot be found). */
export function lelVersion(): string {
  if (cached !== undefined) return cached;
  cached = 'unknown';
  try {
    let dir = path.dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 5; i++) {
      const file = path.join(dir, 'package.json');
      if (fs.existsSync(file)) {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
        if (pkg.name === '@lel/core' && pkg.version) {
          cached = pkg.version;
          break;
        }
      }
      dir = path.dirname(dir);
    }
  } catch {
    // bundled or unusual layouts: keep "unknown"
  }
  return cached;
}
