import * as fs from 'node:fs';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { parseSafetensors, toTensorMap, type Module } from '@lel/core';
import { makeDirs, readCheckpoint, sha256Hex, writeFileAtomicSync, writeSafetensorsFile } from '@lel/core/node';

/** Folder of a run's kept weights. */
export function bestDir(runDir: string): string {
  return path.join(runDir, 'best');
}

/** File of a run's kept weights. */
export function bestWeightsFile(runDir: string): string {
  return path.join(bestDir(runDir), 'model.safetensors');
}

/**
 * Write `model`'s weights and buffers as `best/model.safetensors` (atomic) plus `best/info.json` saying where they
 * come from and recording the weights' SHA-256 (checked by {@link loadBest}).
 */
export async function saveBest(runDir: string, model: Module, info: Record<string, unknown>): Promise<void> {
  makeDirs(bestDir(runDir), 'folder');
  await writeSafetensorsFile(bestWeightsFile(runDir), model.stateDict(), { format: 'lel-best' });
  const sha256 = sha256Hex(fs.readFileSync(bestWeightsFile(runDir)));
  writeFileAtomicSync(path.join(bestDir(runDir), 'info.json'), JSON.stringify({ ...info, sha256 }, null, 2) + '\n');
}

/**
 * Load `best/model.safetensors` into `model` (strict: a different architecture is an error listing the differences).
 * Weights whose SHA-256 differs from the one `best/info.json` records are refused as corrupted.
 */
export async function loadBest(runDir: string, model: Module): Promise<void> {
  const file = bestWeightsFile(runDir);
  if (!fs.existsSync(file)) throw new Error(`${runDir} has no ${path.relative(runDir, file)}: the run did not finish (resume it with \`lel train <recipe> --resume last --out ${runDir}\`)`);
  const bytes = new Uint8Array(fs.readFileSync(file));
  const infoFile = path.join(bestDir(runDir), 'info.json');
  let recorded: unknown;
  if (fs.existsSync(infoFile)) {
    try {
      recorded = (JSON.parse(fs.readFileSync(infoFile, 'utf8')) as { sha256?: unknown }).sha256;
    } catch (e) {
      throw new Error(`${infoFile} is not valid JSON (${(e as Error).message}); the weights beside it cannot be verified`);
    }
  }
  if (typeof recorded === 'string' && sha256Hex(bytes) !== recorded) {
    throw new Error(`${file} is corrupted: its SHA-256 ${sha256Hex(bytes).slice(0, 16)}… differs from the ${recorded.slice(0, 16)}… recorded in ${infoFile}; refusing to load it`);
  }
  const tensors = toTensorMap(parseSafetensors(bytes, { file }));
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
