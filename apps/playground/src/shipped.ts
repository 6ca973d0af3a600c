// What the page ships besides its code (written into public/ by scripts/build-data.ts, read by the page and the
// test): names, sizes and file layouts shared by both sides.

/**
 * The glyphs of the SCL demo: common Chinese characters drawn by simulated writers (npm `hanzi-writer-data`),
 * `base` to train on, `novel` (never trained on) for the few-shot episodes.
 */
export const GLYPHS = {
  size: 28,
  perClass: 20,
  base: ['人', '大', '天', '太', '夫', '口', '日', '月', '目', '田', '山', '水', '火', '木', '本', '土', '王', '工', '中', '上'],
  novel: ['下', '小', '子', '女', '手', '心', '刀', '力', '又', '九'],
} as const;

/** glyphs.json. */
export interface GlyphsMeta {
  size: number;
  perClass: number;
  base: string[];
  novel: string[];
  source: string;
}

/** The sentences of the PEFT demo: from npm `sentiment`'s labelled Amazon review sentences. */
export const SENTENCES = { domain: 'amazon' as const, testPerClass: 60, examplesPerClass: 6 };

/** Labelled sentences. */
export interface LabelledTexts {
  texts: string[];
  labels: number[];
}

/** sentences.json. */
export interface SentencesFile {
  source: string;
  labelNames: string[];
  /** Held-out sentences the arms are scored on (never trained on). */
  test: LabelledTexts;
  /** Sentences the page offers as a start ("Fill in examples"), disjoint from `test`. */
  examples: LabelledTexts;
}

/** The pretrained BERT the PEFT demo fine-tunes: @lel/models' `bert-mini-lel` (hidden 128, 2 layers, 3,000 tokens). */
export const BERT_DIR = 'bert-mini-lel';
export const BERT_FILES = ['config.json', 'model.safetensors', 'vocab.txt'] as const;

/** An image set as plain arrays (N·H·W·C floats in [0, 1]). */
export interface GlyphImages {
  images: Float32Array;
  labels: Int32Array;
  n: number;
  height: number;
  width: number;
  channels: 1;
  classNames: string[];
}

/** Base and novel glyph sets from glyphs.bin's bytes and glyphs.json. */
export function glyphSets(bytes: Uint8Array, meta: GlyphsMeta): { base: GlyphImages; novel: GlyphImages } {
  const per = meta.size * meta.size;
  const classes = meta.base.length + meta.novel.length;
  if (bytes.length !== classes * meta.perClass * per) {
    throw new Error(`glyphs.bin: ${bytes.length} bytes, glyphs.json says ${classes} classes × ${meta.perClass} × ${meta.size}² = ${classes * meta.perClass * per}`);
  }
  const set = (names: string[], from: number): GlyphImages => {
    const n = names.length * meta.perClass;
    const images = Float32Array.from(bytes.subarray(from * meta.perClass * per, from * meta.perClass * per + n * per), (v) => v / 255);
    const labels = Int32Array.from({ length: n }, (_, i) => Math.floor(i / meta.perClass));
    return { images, labels, n, height: meta.size, width: meta.size, channels: 1, classNames: names };
  };
  return { base: set(meta.base, 0), novel: set(meta.novel, meta.base.length) };
}
