import { Rng, globalRng, type Module } from '@lel/core';
import { getSubmodule, replaceModule } from '../../module-surgery';
import { findTargets, modulesToSaveParameters } from '../../targets';
import { isAdapterLayer } from '../adapter-layer';
import type { InjectResult } from '../inject';
import { isLinearLike, type LinearLike } from '../linear-base';
import type { ResolvedLoraConfig } from './config';
import { LoraLinear } from './layer';

/** Wrap every targeted dense layer in a {@link LoraLinear} (re-using an existing wrapper) and add the adapter. */
export function injectLora(model: Module, adapterName: string, config: ResolvedLoraConfig): InjectResult {
  const rng = config.seed !== undefined ? new Rng(config.seed) : globalRng();
  const paths = findTargets(model, config, (m) => isLinearLike(m) || m instanceof LoraLinear, 'a dense layer (weight [in, out]) LoRA can wrap');
  const owned: string[] = [];
  for (const path of paths) {
    let layer = getSubmodule(model, path);
    if (!(layer instanceof LoraLinear)) {
      if (isAdapterLayer(layer)) throw new Error(`LoRA: "${path}" already holds a ${layer.constructor.name} adapter`);
      layer = new LoraLinear(layer as LinearLike);
      replaceModule(model, path, layer);
    }
    (layer as LoraLinear).addAdapter(adapterName, { r: config.r, alpha: config.loraAlpha, dropout: config.loraDropout, useRslora: config.useRslora, init: config.initLoraWeights, rng });
    if (config.bias === 'lora_only') owned.push(...(layer as LoraLinear).baseLayer.namedParameters(`${path}.base_layer`).filter(([n]) => n.endsWith('.bias')).map(([n]) => n));
  }
  if (config.bias === 'all') owned.push(...model.namedParameters().filter(([n]) => n.endsWith('bias') && !n.includes('.lora_')).map(([n]) => n));
  owned.push(...modulesToSaveParameters(model, config.modulesToSave ?? ['classifier'], config.modulesToSave !== undefined));
  return { layers: paths, owned: [...new Set(owned)] };
}
