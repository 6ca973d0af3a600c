import type { Module } from '@lel/core';

/**
 * Look a direct child up in the module registry at call time (not through a cached field), so a child
 * swapped by name (an adapter wrapping `query`) is the one the forward pass uses.
 */
export function childNamed<M extends Module>(parent: Module, name: string): M {
  for (const [n, m] of parent.children()) if (n === name) return m as M;
  throw new Error(`${parent.constructor.name}: no child module "${name}"`);
}
