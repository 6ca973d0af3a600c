import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomic } from './io/atomic-write';
import { readSafetensorsFile, writeSafetensorsFile } from './io/safetensors-file';
import type { NodeHost } from './host';
import { restoreFit } from './train/fit-restore';
import { JsonlLogger } from './train/jsonl-logger';
import { ProgressReporter } from './train/progress-reporter';

/** Node's {@link NodeHost}: the file system (run folders, checkpoints, resume, weights files) and the terminal bar. */
export const nodeHostImpl: NodeHost = {
  restore: (plan) => restoreFit(plan),
  openLog(runDir, resumed, keep) {
    const file = path.join(runDir, 'metrics.jsonl');
    if (!resumed) fs.writeFileSync(file, '');
    return new JsonlLogger(file, resumed ? { keep } : {});
  },
  progress: (options) => new ProgressReporter(options),
  join: (...parts) => path.join(...parts),
  exists: (p) => fs.existsSync(p),
  mkdir: async (dir) => {
    await fs.promises.mkdir(dir, { recursive: true });
  },
  readFile: async (p) => new Uint8Array(await fs.promises.readFile(p)),
  readText: (p) => fs.promises.readFile(p, 'utf8'),
  writeFileAtomic,
  readSafetensorsFile,
  writeSafetensorsFile,
};
