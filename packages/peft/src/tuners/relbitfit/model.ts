import { Rng, globalRng, type Module } from '@lel/core';
import { getSubmodule, replaceModule } from '../../module-surgery';
import { findTargets } from '../../targets';
import { bitfitTrainableNames } from '../bitfit/model';
import { BITFIT_BIAS_TERMS } from '../bitfit/config';
import { normalizeLegacyName } from '../bitfit/layer';
import { isAdapterLayer } from '../adapter-layer';
import type { InjectResult } from '../inject';
import type { ResolvedRelBitFitConfig } from './config';
import { RelBitFitSelfAttention, type SelfAttentionLike } from './layer';

function isSelfAttention(m: Module): boolean {
  const a = m as unknown as Partial<SelfAttentionLike>;
  const names = new Set(m.children().map(([n]) => n));
  return typeof a.numHeads === 'number' && typeof a.headDim === 'number' && ['query', 'key', 'value', 'dropout'].every((n) => names.has(n));
}

/** Longest sequence the model accepts (`config.maxPositionEmbeddings` of @lel/models' BERT), or null. */
function maxPositions(model: Module): number | null {
  const c = (model as { config?: { maxPositionEmbeddings?: number } }).config;
  return typeof c?.maxPositionEmbeddings === 'number' ? c.maxPositionEmbeddings : null;
}

/**
 * RelBitFit: BitFit's trainable biases (minus the key bias unless `trainKeyBias`) plus relative tables
 * in every targeted self-attention, which is replaced by a {@link RelBitFitSelfAttention}.
 */
export function injectRelBitFit(model: Module, adapterName: string, config: ResolvedRelBitFitConfig): InjectResult {
  const rng = config.seed !== undefined ? new Rng(config.seed) : globalRng();
  let maxDistance = config.maxDistance;
  if (maxDistance === null) {
    const n = maxPositions(model);
    if (n === null) throw new Error('RelBitFit: maxDistance is null (no clipping) but the model has no config.maxPositionEmbeddings; set maxDistance');
    maxDistance = n - 1;
  }
  const paths = findTargets(model, config, (m) => isSelfAttention(m) || m instanceof RelBitFitSelfAttention, 'a self-attention with query/key/value children and numHeads/headDim');
  let owner: RelBitFitSelfAttention | undefined;
  for (const path of paths) {
    let layer = getSubmodule(model, path);
    if (!(layer instanceof RelBitFitSelfAttention)) {
      if (isAdapterLayer(layer)) throw new Error(`RelBitFit: "${path}" already holds a ${layer.constructor.name} adapter`);
      layer = new RelBitFitSelfAttention(layer as SelfAttentionLike);
      replaceModule(model, path, layer);
    }
    const att = layer as RelBitFitSelfAttention;
    att.addAdapter(adapterName, { maxDistance, shareAcrossHeads: config.shareAcrossHeads, rank: config.rank, rng }, config.shareAcrossLayers ? owner : undefined);
    if (config.shareAcrossLayers && !owner) owner = att;
  }
  let owned = bitfitTrainableNames(model, config);
  if (!config.trainKeyBias) owned = owned.filter((n) => !normalizeLegacyName(n).includes(BITFIT_BIAS_TERMS.key));
  return { layers: paths, owned };
}
