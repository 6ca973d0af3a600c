import { cctRecipe, cctSupervisedRecipe } from './cct';
import { finetuneFullRecipe, peftBitfitRecipe, peftKronaRecipe, peftLoraRecipe, peftRelbitfitRecipe, vibRecipe } from './text-recipes';
import { akdRecipe, ckdRecipe, kdRecipe, studentRecipe } from './kd';
import { arsegRecipe, iicRecipe } from './arseg';
import { sclRecipe } from './scl';
import { milIbRecipe } from './mil';
import type { AnyRecipe } from './types';

/**
 * Every recipe `lel train` knows, in the order `lel recipes` lists them. A recipe for a method package that has
 * not landed yet is absent (never faked): see the README's recipe table.
 */
export const RECIPES: readonly AnyRecipe[] = [cctRecipe, cctSupervisedRecipe, arsegRecipe, iicRecipe, kdRecipe, ckdRecipe, akdRecipe, studentRecipe, sclRecipe, finetuneFullRecipe, peftBitfitRecipe, peftRelbitfitRecipe, peftKronaRecipe, peftLoraRecipe, vibRecipe, milIbRecipe];

/** Recipes planned for packages still in progress, so `lel recipes` can say what is missing and why. */
export const PENDING_RECIPES: readonly { name: string; package: string; reason: string }[] = [];

/** Look a recipe up by name; an unknown name is an error listing the available ones. */
export function getRecipe(name: string): AnyRecipe {
  const r = RECIPES.find((x) => x.name === name);
  if (r) return r;
  const pending = PENDING_RECIPES.find((x) => x.name === name);
  if (pending) throw new Error(`recipe "${name}" (${pending.package}) is not available: ${pending.reason}`);
  throw new Error(`unknown recipe "${name}"; available recipes: ${RECIPES.map((x) => x.name).join(', ')}`);
}
