// LEL's wrappers of tfjs-wasm kernels (one file each in ./wasm) and their registration.
import * as tf from '@tensorflow/tfjs-core';
import type { Stock } from './wasm/backend';
import { makeWasmBatchMatMul } from './wasm/batch-mat-mul';
import { makeWasmConv2D } from './wasm/conv2d';
import { makeWasmConcat, makeWasmGatherV2, makeWasmSplitV, makeWasmUnpack } from './wasm/copy-kernels';
import { makeWasmFusedBatchNorm } from './wasm/fused-batch-norm';
import { makeWasmIdentity } from './wasm/identity';
import { makeWasmLeadingReduce } from './wasm/leading-reduce';
import { makeWasmTranspose } from './wasm/transpose';

interface Override {
  kernelName: string;
  backendName: string;
  make: (stock: Stock) => Stock;
}

const OVERRIDES: Override[] = [
  { kernelName: tf.BatchMatMul, backendName: 'wasm', make: makeWasmBatchMatMul },
  { kernelName: tf.Transpose, backendName: 'wasm', make: makeWasmTranspose },
  { kernelName: tf.Sum, backendName: 'wasm', make: (s) => makeWasmLeadingReduce(s, false) },
  { kernelName: tf.Mean, backendName: 'wasm', make: (s) => makeWasmLeadingReduce(s, true) },
  { kernelName: tf.SplitV, backendName: 'wasm', make: makeWasmSplitV },
  { kernelName: tf.Unpack, backendName: 'wasm', make: makeWasmUnpack },
  { kernelName: tf.Concat, backendName: 'wasm', make: makeWasmConcat },
  { kernelName: tf.Identity, backendName: 'wasm', make: makeWasmIdentity },
  { kernelName: tf.GatherV2, backendName: 'wasm', make: makeWasmGatherV2 },
  { kernelName: tf.FusedBatchNorm, backendName: 'wasm', make: makeWasmFusedBatchNorm },
  { kernelName: tf.Conv2D, backendName: 'wasm', make: makeWasmConv2D },
];
const installed = new Set<tf.KernelFunc>();
const stockOf = new Map<tf.KernelFunc, tf.KernelConfig>();

/**
 * Wrap the stock wasm BatchMatMul, Transpose, Sum, Mean, SplitV, Unpack, Concat, Identity, GatherV2, FusedBatchNorm and Conv2D kernels (see
 * above and wasm/copy-kernels.ts). A backend registers its kernels when
 * its package is imported, which may happen after `@lel/core` loads, so this is re-run cheaply by
 * {@link registerLelKernels} and by LEL's gradients; it does nothing until the wasm kernels exist, and
 * never wraps twice. Returns how many kernels it wrapped now.
 */
export function applyWasmOverrides(): number {
  let n = 0;
  for (const o of OVERRIDES) {
    const cur = tf.getKernel(o.kernelName, o.backendName);
    if (!cur || installed.has(cur.kernelFunc)) continue;
    const wrapped = o.make(cur.kernelFunc);
    installed.add(wrapped);
    stockOf.set(wrapped, cur);
    tf.unregisterKernel(o.kernelName, o.backendName);
    tf.registerKernel({ ...cur, kernelFunc: wrapped });
    n++;
  }
  return n;
}

/** @internal Benchmarks only: put tfjs's own wasm kernels back (until the next {@link applyWasmOverrides}). */
export function removeWasmOverrides(): void {
  for (const o of OVERRIDES) {
    const cur = tf.getKernel(o.kernelName, o.backendName);
    const stock = cur && stockOf.get(cur.kernelFunc);
    if (!stock) continue;
    tf.unregisterKernel(o.kernelName, o.backendName);
    tf.registerKernel(stock);
  }
}
