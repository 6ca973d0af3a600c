import type { Module } from '@lel/core';
import { isAdapterLayer } from './tuners/adapter-layer';
import { isLinearLike } from './tuners/linear-base';

/** peft's `target_modules`: names (full path or dotted suffix), a whole-path regex, or `"all-linear"`. */
export type TargetModules = string[] | string;

/** Whether dotted `path` is selected by `target` (peft `check_target_module_exists`). */
export function matchesTarget(path: string, target: TargetModules): boolean {
  if (Array.isArray(target)) return target.some((t) => path === t || path.endsWith('.' + t));
  if (target === 'all-linear') return true;
  return new RegExp(`^(?:${target})$`).test(path);
}

/** Layer index of `path` after `layersPattern` (`encoder.layer.3.output` → 3), or null. */
export function layerIndex(path: string, layersPattern = 'layer'): number | null {
  const m = new RegExp(`(?:^|\\.)${layersPattern.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\.(\\d+)(?:\\.|$)`).exec(path);
  return m ? Number(m[1]) : null;
}

/** What {@link findTargets} selects on. */
export interface TargetSelection {
  targetModules: TargetModules;
  excludeModules?: TargetModules;
  layersToTransform?: number[];
  layersPattern?: string;
}

/**
 * Paths of the modules `sel` selects, in tree order, skipping modules inside adapter layers' own
 * bookkeeping. `all-linear` keeps dense layers except the output head (`classifier`, as peft excludes the
 * output layer). Throws when nothing matches, naming the pattern and a few candidate paths.
 */
export function findTargets(root: Module, sel: TargetSelection, accept: (m: Module) => boolean, what: string): string[] {
  const out: string[] = [];
  const all = root.namedModules().filter(([p]) => p !== '');
  for (const [path, m] of all) {
    if (path.split('.').includes('base_layer')) continue;
    if (sel.targetModules === 'all-linear') {
      const linear = isLinearLike(m) || (isAdapterLayer(m) && isLinearLike(m.baseLayer));
      if (!linear || path === 'classifier' || path.endsWith('.classifier')) continue;
    } else if (!matchesTarget(path, sel.targetModules)) continue;
    if (sel.excludeModules !== undefined && matchesTarget(path, sel.excludeModules)) continue;
    if (sel.layersToTransform) {
      const idx = layerIndex(path, sel.layersPattern);
      if (idx === null || !sel.layersToTransform.includes(idx)) continue;
    }
    if (!accept(m)) throw new Error(`target module "${path}" (${m.constructor.name}) is not ${what}`);
    out.push(path);
  }
  if (out.length === 0) {
    const sample = all.slice(0, 12).map(([p]) => p).join(', ');
    throw new Error(
      `targetModules ${JSON.stringify(sel.targetModules)} matched no module${sel.layersToTransform ? ` in layers [${sel.layersToTransform}]` : ''} ` +
        `(list entries match a full path or a dotted suffix, a string is a whole-path regex); module paths start: ${sample}`,
    );
  }
  return out;
}

/**
 * Parameter names of the modules listed in `modulesToSave` (suffix match). With `explicit`, a name that
 * matches no module is an error.
 */
export function modulesToSaveParameters(root: Module, modulesToSave: string[], explicit: boolean): string[] {
  const names: string[] = [];
  for (const target of modulesToSave) {
    const hits = root.namedModules().filter(([p]) => p !== '' && (p === target || p.endsWith('.' + target)));
    if (hits.length === 0 && explicit) throw new Error(`modulesToSave: "${target}" matches no module`);
    for (const [p, m] of hits) for (const [n] of m.namedParameters(p)) names.push(n);
  }
  return [...new Set(names)];
}
