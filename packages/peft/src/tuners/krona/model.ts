import { Rng, globalRng, type Module } from '@lel/core';
import { factorization } from '../../factorization';
import { getSubmodule, replaceModule } from '../../module-surgery';
import { findTargets, modulesToSaveParameters } from '../../targets';
import { isAdapterLayer } from '../adapter-layer';
import type { InjectResult } from '../inject';
import { isLinearLike, linearDims, type LinearLike } from '../linear-base';
import type { ResolvedKronaConfig } from './config';
import { KronaBlock, KronaLinear } from './layer';

/** Default FFN-block targets of KronA^B: HF BERT's `…layer.N.output` (not `…attention.output`). */
export const KRONA_BLOCK_DEFAULT_TARGETS = '(?:.*\\.)?layer\\.\\d+\\.output';

/** A and B shapes for an `[in, out]` map: given, or LoKr's factorisation of in and out. */
export function resolveKronaShapes(config: Pick<ResolvedKronaConfig, 'aShape' | 'bShape' | 'decomposeFactor'>, inF: number, outF: number): { aShape: [number, number]; bShape: [number, number] } {
  if (config.aShape && config.bShape) return { aShape: config.aShape, bShape: config.bShape };
  if (config.aShape || config.bShape) {
    // One factor given: the other follows from the layer's size.
    const given = (config.aShape ?? config.bShape)!;
    if (inF % given[0] !== 0 || outF % given[1] !== 0) {
      throw new Error(`KronA: factor shape [${given}] does not divide the [${inF}, ${outF}] kernel`);
    }
    const other: [number, number] = [inF / given[0], outF / given[1]];
    return config.aShape ? { aShape: given, bShape: other } : { aShape: other, bShape: given };
  }
  const [inM, inN] = factorization(inF, config.decomposeFactor);
  const [outL, outK] = factorization(outF, config.decomposeFactor);
  return { aShape: [inM, outL], bShape: [inN, outK] };
}

/** Hidden size of an FFN block: `dense.out` of an HF `BertOutput`, else the input size of its first dense layer. */
function blockDim(m: Module): number {
  for (const [n, c] of m.children()) if (n === 'dense' && isLinearLike(c)) return linearDims(c)[1];
  for (const [, c] of m.namedModules()) if (c !== m && isLinearLike(c)) return linearDims(c)[0];
  throw new Error(`KronA^B: cannot infer the hidden size of ${m.constructor.name} (no dense layer inside)`);
}

/** Wrap targets in {@link KronaLinear} (variant `linear`) or {@link KronaBlock} (KronA^B, KronA^B_res) and add the adapter. */
export function injectKrona(model: Module, adapterName: string, config: ResolvedKronaConfig): InjectResult {
  const rng = config.seed !== undefined ? new Rng(config.seed) : globalRng();
  const linear = config.variant === 'linear';
  const targetModules = config.targetModules ?? (linear ? ['query', 'value'] : KRONA_BLOCK_DEFAULT_TARGETS);
  const Wrapper = linear ? KronaLinear : KronaBlock;
  const accept = linear ? (m: Module) => isLinearLike(m) || m instanceof KronaLinear : (m: Module) => typeof (m as { forward?: unknown }).forward === 'function';
  const paths = findTargets(model, { ...config, targetModules }, accept, linear ? 'a dense layer KronA can wrap' : 'an FFN block module');
  const base = { scale: config.scale, scaleTrainable: config.scaleTrainable, zeroFactor: config.zeroFactor, rng };
  for (const path of paths) {
    let layer = getSubmodule(model, path);
    if (!(layer instanceof Wrapper)) {
      if (isAdapterLayer(layer)) throw new Error(`KronA: "${path}" already holds a ${layer.constructor.name} adapter`);
      layer = linear ? new KronaLinear(layer as LinearLike) : new KronaBlock(layer, blockDim(layer));
      replaceModule(model, path, layer);
    }
    if (layer instanceof KronaLinear) {
      const [inF, outF] = linearDims(layer.baseLayer);
      layer.addAdapter(adapterName, { ...base, ...resolveKronaShapes(config, inF, outF) });
    } else {
      const block = layer as KronaBlock;
      block.addAdapter(adapterName, { ...base, ...resolveKronaShapes(config, block.dim, block.dim), residual: config.variant === 'block_res', resScale: config.resScale });
    }
  }
  const owned = modulesToSaveParameters(model, config.modulesToSave ?? ['classifier'], config.modulesToSave !== undefined);
  return { layers: paths, owned };
}
