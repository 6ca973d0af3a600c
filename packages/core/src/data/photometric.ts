import type { Rng } from '../random/rng';
import { horizontalFlip } from './geometric';
import type { HwcImage } from './image';
import { resizeImageBilinear } from './resize';

/** Options for {@link colorJitter}: each strength s draws a factor from [max(0, 1 − s), 1 + s] (torchvision semantics); hue draws a shift in [−hue, hue] turns. */
export interface ColorJitterOptions {
  brightness?: number;
  contrast?: number;
  saturation?: number;
  /** At most 0.5. */
  hue?: number;
}

function luminance(r: number, g: number, b: number): number {
  return 0.299 * r + 0.587 * g + 0.114 * b;
}

/**
 * Random brightness, contrast, saturation and hue changes, applied in a random order as torchvision does.
 * Greyscale images get brightness and contrast only; a zero or absent strength skips that change. Values are
 * clipped to [0, 1].
 */
export function colorJitter(image: HwcImage, rng: Rng, options: ColorJitterOptions): HwcImage {
  const data = Float32Array.from(image.data);
  const { channels: c } = image;
  const px = image.height * image.width;
  const factor = (s: number | undefined) => (s ? rng.uniform(Math.max(0, 1 - s), 1 + s) : 1);
  const ops: (() => void)[] = [];
  const b = factor(options.brightness);
  if (options.brightness) ops.push(() => {
    for (let i = 0; i < data.length; i++) data[i] = Math.min(1, data[i]! * b);
  });
  const ct = factor(options.contrast);
  if (options.contrast) ops.push(() => {
    let mean = 0;
    for (let p = 0; p < px; p++) mean += c === 3 ? luminance(data[3 * p]!, data[3 * p + 1]!, data[3 * p + 2]!) : data[p]!;
    mean /= px;
    for (let i = 0; i < data.length; i++) data[i] = Math.min(1, Math.max(0, (data[i]! - mean) * ct + mean));
  });
  if (c === 3) {
    const sat = factor(options.saturation);
    if (options.saturation) ops.push(() => {
      for (let p = 0; p < px; p++) {
        const l = luminance(data[3 * p]!, data[3 * p + 1]!, data[3 * p + 2]!);
        for (let k = 0; k < 3; k++) data[3 * p + k] = Math.min(1, Math.max(0, (data[3 * p + k]! - l) * sat + l));
      }
    });
    const hue = options.hue ? rng.uniform(-options.hue, options.hue) : 0;
    if (options.hue) ops.push(() => {
      // Rotate the chroma plane of YIQ by the hue angle; luminance is unchanged.
      const cos = Math.cos(2 * Math.PI * hue);
      const sin = Math.sin(2 * Math.PI * hue);
      for (let p = 0; p < px; p++) {
        const r = data[3 * p]!;
        const g = data[3 * p + 1]!;
        const bl = data[3 * p + 2]!;
        const y = luminance(r, g, bl);
        const i0 = 0.596 * r - 0.274 * g - 0.322 * bl;
        const q0 = 0.211 * r - 0.523 * g + 0.312 * bl;
        const i1 = i0 * cos - q0 * sin;
        const q1 = i0 * sin + q0 * cos;
        data[3 * p] = Math.min(1, Math.max(0, y + 0.956 * i1 + 0.621 * q1));
        data[3 * p + 1] = Math.min(1, Math.max(0, y - 0.272 * i1 - 0.647 * q1));
        data[3 * p + 2] = Math.min(1, Math.max(0, y - 1.106 * i1 + 1.703 * q1));
      }
    });
  }
  rng.shuffle(ops);
  for (const op of ops) op();
  return { ...image, data };
}

/** With probability `p`, replaces each RGB pixel by its luminance (keeping 3 channels). */
export function randomGrayscale(image: HwcImage, rng: Rng, p = 0.2): HwcImage {
  if (image.channels !== 3 || rng.next() >= p) return image;
  const data = new Float32Array(image.data.length);
  for (let q = 0; q < image.height * image.width; q++) {
    const l = luminance(image.data[3 * q]!, image.data[3 * q + 1]!, image.data[3 * q + 2]!);
    data[3 * q] = data[3 * q + 1] = data[3 * q + 2] = l;
  }
  return { ...image, data };
}

/** Options for {@link randomResizedCrop}. */
export interface RandomResizedCropOptions {
  /** Output size. */
  size: { height: number; width: number };
  /** Range of the crop's area as a fraction of the image. Default [0.08, 1]. */
  scale?: [number, number];
  /** Range of the crop's aspect ratio (w/h), sampled log-uniformly. Default [3/4, 4/3]. */
  ratio?: [number, number];
  /** Probability of a horizontal flip afterwards. Default 0 (apply one explicitly if wanted). */
  flipProbability?: number;
}

/**
 * torchvision's RandomResizedCrop: up to 10 tries to draw a crop with area and aspect ratio in range that fits,
 * else a central crop with the ratio clamped; then a bilinear resize to `size`.
 */
export function randomResizedCrop(image: HwcImage, rng: Rng, options: RandomResizedCropOptions): HwcImage {
  const { height: h, width: w, channels: c } = image;
  const [smin, smax] = options.scale ?? [0.08, 1];
  const [rmin, rmax] = options.ratio ?? [3 / 4, 4 / 3];
  let ch = h;
  let cw = w;
  let top = 0;
  let left = 0;
  let found = false;
  for (let t = 0; t < 10 && !found; t++) {
    const area = h * w * rng.uniform(smin, smax);
    const ratio = Math.exp(rng.uniform(Math.log(rmin), Math.log(rmax)));
    const tw = Math.round(Math.sqrt(area * ratio));
    const th = Math.round(Math.sqrt(area / ratio));
    if (tw > 0 && th > 0 && tw <= w && th <= h) {
      ch = th;
      cw = tw;
      top = rng.int(h - th + 1);
      left = rng.int(w - tw + 1);
      found = true;
    }
  }
  if (!found) {
    const r = w / h;
    if (r < rmin) {
      cw = w;
      ch = Math.round(w / rmin);
    } else if (r > rmax) {
      ch = h;
      cw = Math.round(h * rmax);
    }
    top = Math.floor((h - ch) / 2);
    left = Math.floor((w - cw) / 2);
  }
  const crop = new Float32Array(ch * cw * c);
  for (let y = 0; y < ch; y++) crop.set(image.data.subarray(((y + top) * w + left) * c, ((y + top) * w + left + cw) * c), y * cw * c);
  let out = resizeImageBilinear({ data: crop, height: ch, width: cw, channels: c }, options.size.height, options.size.width);
  if (options.flipProbability && rng.next() < options.flipProbability) out = horizontalFlip(out);
  return out;
}
