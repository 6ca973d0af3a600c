import * as fs from 'node:fs';
import * as path from 'node:path';
import { writeFileAtomicSync } from '@lel/core/node';
import { parseBackend, setupBackend } from './backend';
import { loadRunConfig } from './eval';
import type { Prediction } from './recipes/types';

/**
 * `lel predict <run> <input…>`: segmentation runs write `<out>/<name>.mask.png` per image (class index per pixel,
 * VOC palette); classification runs give class probabilities. All predictions also go to `<out>/predictions.json`.
 */
export async function predictCommand(runDir: string, inputs: string[], options: { out?: string; backend?: string } = {}): Promise<{ predictions: Prediction[]; file: string }> {
  if (inputs.length === 0) throw new Error('predict: give at least one input (an image file, or a text for text classifiers)');
  const { recipe, config } = loadRunConfig(runDir);
  await setupBackend(parseBackend(options.backend), config.seed);
  const outDir = options.out ?? path.join(runDir, 'predictions');
  fs.mkdirSync(outDir, { recursive: true });
  const predictions = await recipe.predict(config, { runDir, inputs, outDir });
  const file = path.join(outDir, 'predictions.json');
  writeFileAtomicSync(file, JSON.stringify(predictions, null, 2) + '\n');
  return { predictions, file };
}
