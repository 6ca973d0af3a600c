import * as path from 'node:path';
import { writeFileAtomicSync } from '@lel/core/node';
import { formatBanner } from './banner';
import { parseBackend, setupBackend } from './backend';
import { readResolvedConfig } from './config/load';
import { validateWithSchema } from './config/validate';
import { getRecipe } from './recipes';
import type { AnyRecipe, EvalResult } from './recipes/types';

/** A run's recipe and validated config, read back from its config.resolved.yaml. */
export function loadRunConfig(runDir: string): { recipe: AnyRecipe; config: { seed: number } } {
  const tree = readResolvedConfig(runDir);
  const name = tree.recipe;
  if (typeof name !== 'string') throw new Error(`${path.join(runDir, 'config.resolved.yaml')} has no "recipe" key`);
  const recipe = getRecipe(name);
  return { recipe, config: validateWithSchema(recipe.schema, tree, path.join(runDir, 'config.resolved.yaml')) as { seed: number } };
}

/** `lel eval <run>`: re-evaluate a run's best/ weights on its held-out data; prints and writes `eval.json`. */
export async function evalCommand(runDir: string, options: { backend?: string; log?: (l: string) => void } = {}): Promise<EvalResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const { recipe, config } = loadRunConfig(runDir);
  const backend = await setupBackend(parseBackend(options.backend), config.seed);
  log(formatBanner({ command: 'eval', recipe: recipe.name, methodPackage: recipe.package, backend, seed: config.seed, runDir }));
  const result = await recipe.evaluate(config, runDir);
  writeFileAtomicSync(path.join(runDir, 'eval.json'), JSON.stringify(result, null, 2) + '\n');
  return result;
}
