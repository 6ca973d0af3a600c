import { resizeImageBilinear, resizeMaskNearest } from '@lel/core';
import { DatasetError } from '../errors';
import type { DecodedImage } from '../types';

/**
 * How an image of another size is brought to the model's input size:
 * - `stretch`: resize to exactly H×W (the aspect ratio is not kept), as `loadVocSegmentation({ size })` does;
 * - `crop`: scale (keeping the aspect ratio) until the image covers H×W, then crop H×W: at a random position in
 *   training streams, centred otherwise;
 * - `none`: every image must already be H×W; another size fails naming the file.
 * Images are resized bilinearly (box-averaged first when shrinking more than 2×, so thin strokes do not alias away)
 * and masks by nearest neighbour, so every mask value stays a real label.
 */
export type ResizeMode = 'stretch' | 'crop' | 'none';

/** Where a crop sits: fractions in [0, 1) of the free range (0 = top/left); centred when absent. */
export interface CropPlacement {
  top: number;
  left: number;
}

/** Averages `ky`×`kx` blocks (the rows and columns that do not fill a block are dropped). */
function shrinkBox(image: DecodedImage, ky: number, kx: number): DecodedImage {
  const { data, height: h, width: w, channels: c } = image;
  const oh = Math.floor(h / ky);
  const ow = Math.floor(w / kx);
  const out = new Float32Array(oh * ow * c);
  const area = ky * kx;
  for (let y = 0; y < oh; y++) {
    for (let x = 0; x < ow; x++) {
      for (let k = 0; k < c; k++) {
        let s = 0;
        for (let dy = 0; dy < ky; dy++) for (let dx = 0; dx < kx; dx++) s += data[((y * ky + dy) * w + x * kx + dx) * c + k]!;
        out[(y * ow + x) * c + k] = s / area;
      }
    }
  }
  return { data: out, height: oh, width: ow, channels: c };
}

/** Bilinear resize that box-averages first when shrinking by 2× or more along an axis (a cheap antialiasing filter). */
export function resizeImage(image: DecodedImage, outH: number, outW: number): DecodedImage {
  if (image.height === outH && image.width === outW) return image;
  const ky = Math.max(1, Math.floor(image.height / outH));
  const kx = Math.max(1, Math.floor(image.width / outW));
  const pre = ky > 1 || kx > 1 ? shrinkBox(image, ky, kx) : image;
  return resizeImageBilinear(pre, outH, outW);
}

function cropImage(image: DecodedImage, top: number, left: number, h: number, w: number): DecodedImage {
  const c = image.channels;
  const out = new Float32Array(h * w * c);
  for (let y = 0; y < h; y++) out.set(image.data.subarray(((top + y) * image.width + left) * c, ((top + y) * image.width + left + w) * c), y * w * c);
  return { data: out, height: h, width: w, channels: c };
}

function cropMask(mask: Int32Array, width: number, top: number, left: number, h: number, w: number): Int32Array {
  const out = new Int32Array(h * w);
  for (let y = 0; y < h; y++) out.set(mask.subarray((top + y) * width + left, (top + y) * width + left + w), y * w);
  return out;
}

/**
 * Brings an image (and its mask) to `size` with `mode` (see {@link ResizeMode}). `file` names the sample in errors;
 * `placement` positions a crop (centred when absent).
 */
export function fitToSize(
  sample: { image: DecodedImage; mask?: Int32Array },
  size: { height: number; width: number },
  mode: ResizeMode,
  file: string,
  placement?: CropPlacement,
): { image: DecodedImage; mask?: Int32Array } {
  const { image, mask } = sample;
  const { height: H, width: W } = size;
  const { height: h, width: w } = image;
  if (h === H && w === W) return sample;
  if (mode === 'none') throw new DatasetError(file, `image is ${h}×${w} but the model input is ${H}×${W}; set data.resize to "stretch" or "crop" to resize`);
  if (mode === 'stretch') {
    return { image: resizeImage(image, H, W), ...(mask ? { mask: resizeMaskNearest(mask, h, w, H, W) } : {}) };
  }
  const scale = Math.max(H / h, W / w);
  const sh = Math.max(H, Math.round(h * scale));
  const sw = Math.max(W, Math.round(w * scale));
  const scaled = resizeImage(image, sh, sw);
  const scaledMask = mask ? resizeMaskNearest(mask, h, w, sh, sw) : undefined;
  const at = (u: number | undefined, free: number) => (u === undefined ? Math.floor(free / 2) : Math.min(free, Math.floor(u * (free + 1))));
  const top = at(placement?.top, sh - H);
  const left = at(placement?.left, sw - W);
  return { image: cropImage(scaled, top, left, H, W), ...(scaledMask ? { mask: cropMask(scaledMask, sw, top, left, H, W) } : {}) };
}
