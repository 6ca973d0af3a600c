// Writes the data-card preview PNGs in packages/datasets/docs/. Run:
//   pnpm --filter @lel/datasets previews   (node --conditions=@lel/source --import tsx scripts/previews.ts)
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  encodePng, glyphClassSplits, listFontCharacters, makeDigitScenes, makeFontGlyphFewShot, makeGlyphFewShot, notoScriptFonts, NOTO_FONTS_DIR, vocPalette,
  type DecodedImage, type ImageClassificationData,
} from '../src/index';

const outDir = join(dirname(fileURLToPath(import.meta.url)), '..', 'docs');
mkdirSync(outDir, { recursive: true });

/** A white RGB canvas into which tiles are blitted, each upscaled by `zoom` (nearest). */
class Sheet {
  readonly img: DecodedImage;
  constructor(width: number, height: number) {
    this.img = { data: new Float32Array(width * height * 3).fill(1), height, width, channels: 3 };
  }

  blit(tile: (x: number, y: number) => [number, number, number], w: number, h: number, left: number, top: number, zoom: number): void {
    for (let y = 0; y < h * zoom; y++) {
      for (let x = 0; x < w * zoom; x++) {
        const rgb = tile(Math.floor(x / zoom), Math.floor(y / zoom));
        const q = ((top + y) * this.img.width + left + x) * 3;
        this.img.data.set(rgb, q);
      }
    }
  }
}

const palette = vocPalette();
const pad = 4;

function scenesSheet(variant: 'easy' | 'hard', file: string): void {
  const cols = 6;
  const zoom = 2;
  const d = makeDigitScenes({ n: cols, size: 64, seed: 1, variant });
  const s = d.height * zoom;
  const sheet = new Sheet(cols * (s + pad) + pad, 2 * (s + pad) + pad);
  for (let i = 0; i < cols; i++) {
    const base = i * d.height * d.width;
    const left = pad + i * (s + pad);
    sheet.blit((x, y) => {
      const q = base + y * d.width + x;
      return d.channels === 1 ? [d.images[q]!, d.images[q]!, d.images[q]!] : [d.images[3 * q]!, d.images[3 * q + 1]!, d.images[3 * q + 2]!];
    }, d.width, d.height, left, pad, zoom);
    sheet.blit((x, y) => {
      const v = d.masks[base + y * d.width + x]!;
      return [palette[3 * v]! / 255, palette[3 * v + 1]! / 255, palette[3 * v + 2]! / 255];
    }, d.width, d.height, left, 2 * pad + s, zoom);
  }
  writeFileSync(join(outDir, file), encodePng(sheet.img));
}

/** Rows of `cols` samples of one class each, from a dataset laid out class-major with `cols` per class. */
function classRowsSheet(d: ImageClassificationData, rows: number, cols: number, file: string): void {
  const zoom = 2;
  const s = d.height * zoom;
  const sheet = new Sheet(cols * (s + pad) + pad, rows * (s + pad) + pad);
  for (let r = 0; r < rows; r++) {
    for (let c = 0; c < cols; c++) {
      const base = (r * cols + c) * d.height * d.width;
      sheet.blit((x, y) => {
        const v = d.images[base + y * d.width + x]!;
        return [v, v, v];
      }, d.width, d.height, pad + c * (s + pad), pad + r * (s + pad), zoom);
    }
  }
  writeFileSync(join(outDir, file), encodePng(sheet.img));
}

function glyphSheet(file: string): void {
  const classes = glyphClassSplits(0).novel.slice(0, 6);
  classRowsSheet(makeGlyphFewShot({ classes, perClass: 10, size: 28, seed: 0 }), 6, 10, file);
  console.log(`glyph rows: ${classes.join(' ')}`);
}

/** Optional: only when Debian fonts-noto-core is installed (or LEL_NOTO_DIR points at its fonts). */
function notoSheet(file: string): void {
  const groups = notoScriptFonts(process.env.LEL_NOTO_DIR ?? NOTO_FONTS_DIR);
  const scripts = ['Cherokee', 'Runic', 'Tifinagh', 'Ethiopic', 'Georgian', 'Glagolitic', 'Vai', 'Yi'].filter((s) => groups[s]);
  if (scripts.length === 0) {
    console.log('fonts-noto-core not found: skipping the Noto preview');
    return;
  }
  const pairs = scripts.map((s) => {
    const fonts = groups[s]!;
    return { fonts, char: listFontCharacters(fonts)[7]! };
  });
  const per = 10;
  const parts = pairs.map(({ fonts, char }) => makeFontGlyphFewShot({ fonts, classes: [char], perClass: per, seed: 0 }));
  const images = new Float32Array(parts.reduce((a, p) => a + p.images.length, 0));
  let at = 0;
  for (const p of parts) {
    images.set(p.images, at);
    at += p.images.length;
  }
  classRowsSheet({ ...parts[0]!, images, n: parts.length * per }, parts.length, per, file);
  console.log(`noto rows: ${scripts.map((s, i) => `${s} ${pairs[i]!.char}`).join(', ')}`);
}

scenesSheet('easy', 'digit-scenes-easy.png');
scenesSheet('hard', 'digit-scenes-hard.png');
glyphSheet('glyph-fewshot.png');
notoSheet('noto-fewshot.png');
console.log(`wrote previews to ${outDir}`);
