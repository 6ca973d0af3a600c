import { z } from 'zod';
import type { AnyRecipe } from '../recipes/types';
import { resolveConfig } from './load';

type JsonSchema = { [k: string]: unknown; properties?: Record<string, JsonSchema>; default?: unknown };

/**
 * Sets the `default` of every key to the value the recipe resolves it to (its own defaults included): on values and on
 * unions (e.g. a data source given as a path or an object); sections get theirs through their keys.
 */
function withDefaults(node: JsonSchema, value: unknown): void {
  if (value === undefined) return;
  if (node.properties && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    delete node.default;
    for (const [k, child] of Object.entries(node.properties)) withDefaults(child, (value as Record<string, unknown>)[k]);
  } else node.default = value;
}

/**
 * The JSON Schema (draft 2020-12) of a recipe's config file, from its zod schema (`z.toJSONSchema`, input side: every
 * key with a default is optional), with each key's `default` set to the value the recipe resolves it to. Editors use it
 * to complete and check `run.yaml` (e.g. `# yaml-language-server: $schema=./cct.schema.json` with the YAML extension).
 */
export function recipeJsonSchema(recipe: AnyRecipe): Record<string, unknown> {
  const schema = z.toJSONSchema(recipe.schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
  const resolved = resolveConfig(recipe.schema, { defaults: { ...recipe.defaults, recipe: recipe.name } });
  withDefaults(schema, resolved);
  return { ...schema, title: `lel ${recipe.name} config`, description: recipe.description };
}
