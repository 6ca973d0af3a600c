import type { Rng } from '../random/rng';
import { IGNORE_LABEL, type HwcImage } from './image';
import { resizeImageBilinear, resizeMaskNearest } from './resize';

/** An image with its label mask (H·W class indices, 255 = ignore). */
export interface ImageWithMask {
  image: HwcImage;
  mask: Int32Array;
}

/** Options for {@link randomScaleCropFlip}. */
export interface ScaleCropFlipOptions {
  /** Output size (the crop). */
  crop: { height: number; width: number };
  /** Range of the random rescale factor. Default [0.5, 2] (the CCT / DeepLab recipe). */
  scale?: [number, number];
  /** Probability of a horizontal flip. Default 0.5. */
  flipProbability?: number;
  /** Image fill for padding when the rescaled image is smaller than the crop. Default 0. */
  padValue?: number;
  /** Mask fill for padding; padded pixels are excluded from the loss. Default 255. */
  padLabel?: number;
}

/**
 * The standard segmentation training augmentation: random rescale, pad to the crop size, random crop, random
 * horizontal flip. The image is resized bilinearly and the mask by nearest neighbour, with the same geometry,
 * so every mask value stays a real label and stays aligned with its pixel.
 */
export function randomScaleCropFlip(sample: ImageWithMask, rng: Rng, options: ScaleCropFlipOptions): ImageWithMask {
  const { image, mask } = sample;
  const [smin, smax] = options.scale ?? [0.5, 2];
  const s = rng.uniform(smin, smax);
  const h = Math.max(1, Math.round(image.height * s));
  const w = Math.max(1, Math.round(image.width * s));
  const img = resizeImageBilinear(image, h, w);
  const msk = resizeMaskNearest(mask, image.height, image.width, h, w);
  const { height: ch, width: cw } = options.crop;
  const c = image.channels;
  const top = h > ch ? rng.int(h - ch + 1) : 0;
  const left = w > cw ? rng.int(w - cw + 1) : 0;
  const flip = rng.next() < (options.flipProbability ?? 0.5);
  const outImg = new Float32Array(ch * cw * c).fill(options.padValue ?? 0);
  const outMask = new Int32Array(ch * cw).fill(options.padLabel ?? IGNORE_LABEL);
  for (let y = 0; y < Math.min(ch, h - top); y++) {
    for (let x = 0; x < Math.min(cw, w - left); x++) {
      const ox = flip ? cw - 1 - x : x;
      const src = (y + top) * w + (x + left);
      outMask[y * cw + ox] = msk[src]!;
      for (let k = 0; k < c; k++) outImg[(y * cw + ox) * c + k] = img.data[src * c + k]!;
    }
  }
  return { image: { data: outImg, height: ch, width: cw, channels: c }, mask: outMask };
}

/** Mirrors an image left–right. */
export function horizontalFlip(image: HwcImage): HwcImage {
  const { data, height: h, width: w, channels: c } = image;
  const out = new Float32Array(data.length);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      for (let k = 0; k < c; k++) out[(y * w + (w - 1 - x)) * c + k] = data[(y * w + x) * c + k]!;
    }
  }
  return { data: out, height: h, width: w, channels: c };
}
