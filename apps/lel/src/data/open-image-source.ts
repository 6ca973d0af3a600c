import * as fs from 'node:fs';
import * as path from 'node:path';
import { classificationDataSource, segmentationDataSource, type ImageSource } from '@lel/datasets';
import { classFolderSource, glyphClassSplits, imageFolderSource, makeDigitScenes, makeGlyphFewShot, maskedFolderSource, vocSource } from '@lel/datasets/node';
import { DataConfigError } from './detect';
import type { SourceObject } from './specs';

/** An opened image source with its own held-out part, when it has one (VOC's val list, embedded held-out data). */
export interface OpenedImageSource {
  main: ImageSource;
  heldOut?: ImageSource;
}

/** What opening a source needs from the data section. */
export interface OpenContext {
  /** Default side of embedded data (the section's input height). */
  size: number;
  /** Default seed of embedded data. */
  seed: number;
  /** The label map, when known (it bounds mask values and maps class folders). */
  classNames?: readonly string[];
  /** The config key, for errors. */
  key: string;
}

/**
 * Opens an image source object: lists a folder (validating its layout, nothing decoded yet) or generates embedded
 * data. Text sources are refused with the key at fault.
 */
export function openImageSource(spec: SourceObject, ctx: OpenContext): OpenedImageSource {
  const classNames = ctx.classNames ? { classNames: ctx.classNames } : {};
  switch (spec.source) {
    case 'voc': {
      const main = vocSource(spec.path, { split: spec.split, maskDir: spec.maskDir, ...classNames });
      const list = path.join(spec.path, 'ImageSets', 'Segmentation', `${spec.heldOutSplit}.txt`);
      const heldOut = spec.heldOutSplit !== spec.split && fs.existsSync(list) ? vocSource(spec.path, { split: spec.heldOutSplit, maskDir: spec.maskDir, ...classNames }) : undefined;
      return heldOut ? { main, heldOut } : { main };
    }
    case 'image-mask-folder':
      return { main: maskedFolderSource(spec.path, { imagesDir: spec.images, masksDir: spec.masks, ...classNames }) };
    case 'image-folder':
      return { main: imageFolderSource(spec.path) };
    case 'class-folders':
      return { main: classFolderSource(spec.path, classNames) };
    case 'digit-scenes': {
      const size = spec.size ?? ctx.size;
      const seed = spec.seed ?? ctx.seed;
      const shape = { ...(spec.digits ? { classes: spec.digits } : {}), ...(spec.scale ? { scale: spec.scale } : {}), ...(spec.digitsPerImage ? { digitsPerImage: spec.digitsPerImage } : {}) };
      const make = (n: number, split: 'train' | 'test') => makeDigitScenes({ n, size, seed, variant: spec.variant, channels: 3, split, ...shape });
      const train = make(spec.n, 'train');
      const what = `embedded digit scenes (${spec.variant}, ${size}×${size}, ${train.source} digits${spec.digits ? ` ${spec.digits.join(', ')}` : ''})`;
      const main = segmentationDataSource(train, 'digit-scenes', `${what}: ${spec.n} scenes`);
      if (spec.heldOut === 0) return { main };
      return { main, heldOut: segmentationDataSource(make(spec.heldOut, 'test'), 'digit-scenes/held-out', `${what}: ${spec.heldOut} held-out scenes of unseen digits`) };
    }
    case 'glyphs': {
      const size = spec.size ?? ctx.size;
      const seed = spec.seed ?? ctx.seed;
      const splits = glyphClassSplits(seed, { base: spec.classes, val: 0, novel: spec.heldOutClasses });
      const base = makeGlyphFewShot({ classes: splits.base, perClass: spec.drawings, size, seed });
      const main = classificationDataSource(base, 'glyphs', `embedded glyphs: ${spec.classes} characters × ${spec.drawings} drawings (${size}×${size})`);
      if (spec.heldOutClasses === 0) return { main };
      const novel = makeGlyphFewShot({ classes: splits.novel, perClass: spec.drawings, size, seed: `${seed}/novel` });
      return { main, heldOut: classificationDataSource(novel, 'glyphs/held-out', `embedded glyphs: ${spec.heldOutClasses} held-out characters × ${spec.drawings} drawings`) };
    }
    default:
      throw new DataConfigError(ctx.key, `a ${spec.source} source holds text, not images`);
  }
}
