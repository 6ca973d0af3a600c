import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { readCheckpoint, readSafetensorsFile, toTensorMap, writeFileAtomicSync, writeSafetensorsFile, type Module } from '@lel/core';

/** Folder of a run's kept weights. */
export function bestDir(runDir: string): string {
  return path.join(runDir, 'best');
}

/** File of a run's kept weights. */
export function bestWeightsFile(runDir: string): string {
  return path.join(bestDir(runDir), 'model.safetensors');
}

/** Write `model`'s weights and buffers as `best/model.safetensors` (atomic) plus `best/info.json` saying where they come from. */
export async function saveBest(runDir: string, model: Module, info: Record<string, unknown>): Promise<void> {
  fs.mkdirSync(bestDir(runDir), { recursive: true });
  await writeSafetensorsFile(bestWeightsFile(runDir), model.stateDict(), { format: 'lel-best' });
  writeFileAtomicSync(path.join(bestDir(runDir), 'info.json'), JSON.stringify(info, null, 2) + '\n');
}

/** Load `best/model.safetensors` into `model` (strict: a different architecture is an error listing the differences). */
export async function loadBest(runDir: string, model: Module): Promise<void> {
  const file = bestWeightsFile(runDir);
  if (!fs.existsSync(file)) throw new Error(`${runDir} has no ${path.relative(runDir, file)}: the run did not finish (resume it with \`lel train <recipe> --resume last --out ${runDir}\`)`);
  const tensors = toTensorMap(await readSafetensorsFile(file));
  try {
    model.loadStateDict(tensors);
  } finally {
    tf.dispose([...tensors.values()]);
  }
}

/**
 * Load a checkpoint's weights for `prefix` (`fit` saves one model unprefixed, several as `<name>.<tensor>`) into
 * `model`. Used to keep the best-by-evaluation weights rather than the last ones.
 */
export function loadCheckpointWeights(checkpoint: string, model: Module, prefix = ''): void {
  const ck = readCheckpoint(checkpoint);
  try {
    const own = new Map<string, tf.Tensor>();
    for (const [k, t] of ck.model) if (!prefix || k.startsWith(prefix)) own.set(prefix ? k.slice(prefix.length) : k, t);
    model.loadStateDict(own);
  } finally {
    tf.dispose([...ck.model.values(), ...ck.optimizer.values(), ...ck.callbacks.values()]);
  }
}
