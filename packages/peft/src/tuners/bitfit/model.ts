import type { Module } from '@lel/core';
import type { InjectResult } from '../inject';
import { modulesToSaveParameters } from '../../targets';
import type { ResolvedBitFitConfig } from './config';
import { selectBitfitParameters } from './layer';

/** Names of the base parameters a BitFit config trains on `model` (biases, pooler bias, classifier, `modulesToSave`). */
export function bitfitTrainableNames(model: Module, config: Pick<ResolvedBitFitConfig, 'components' | 'alwaysTrainable' | 'modulesToSave'>): string[] {
  const names = model.namedParameters().map(([n]) => n);
  const selected = new Set(selectBitfitParameters(names, config.components, config.alwaysTrainable));
  for (const n of modulesToSaveParameters(model, config.modulesToSave ?? [], config.modulesToSave !== undefined)) selected.add(n);
  if (selected.size === 0) throw new Error(`BitFit: components [${config.components}] select no parameter of this model`);
  return names.filter((n) => selected.has(n));
}

/** BitFit injects nothing: it owns (trains, saves, swaps between adapters) the selected base parameters. */
export function injectBitFit(model: Module, _adapterName: string, config: ResolvedBitFitConfig): InjectResult {
  return { layers: [], owned: bitfitTrainableNames(model, config) };
}
