import * as tf from '@tensorflow/tfjs-core';
import { colorJitter, horizontalFlip, randomGrayscale, randomResizedCrop, resizeImageBilinear, type HwcImage, type Rng } from '@lel/core';
import type { ImageClassificationArrays } from './data';

/** Size options of the SCL views. */
export interface ViewOptions {
  /** Output side. */
  size: number;
  /** Zero padding of view 1's random crop (8 at 84², 4 at 32²). */
  padding: number;
}

/** Image `i` of a dataset as an HWC image. */
export function imageAt(data: ImageClassificationArrays, i: number): HwcImage {
  const per = data.height * data.width * data.channels;
  if (!Number.isInteger(i) || i < 0 || i >= data.n) throw new RangeError(`imageAt: index ${i} is outside [0, ${data.n})`);
  return { data: data.images.subarray(i * per, (i + 1) * per), height: data.height, width: data.width, channels: data.channels };
}

function fit(image: HwcImage, size: number): HwcImage {
  return image.height === size && image.width === size ? image : resizeImageBilinear(image, size, size);
}

/** torchvision `RandomCrop(size, padding)`: zero-pad every side, then crop a random size × size window. */
export function randomCropWithPadding(image: HwcImage, rng: Rng, size: number, padding: number): HwcImage {
  const { height: h, width: w, channels: c } = image;
  const ph = h + 2 * padding;
  const pw = w + 2 * padding;
  if (size > ph || size > pw) throw new Error(`randomCropWithPadding: crop ${size} exceeds the padded image ${ph}×${pw}`);
  const top = rng.int(ph - size + 1);
  const left = rng.int(pw - size + 1);
  const out = new Float32Array(size * size * c);
  for (let y = 0; y < size; y++) {
    const sy = y + top - padding;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < size; x++) {
      const sx = x + left - padding;
      if (sx < 0 || sx >= w) continue;
      for (let k = 0; k < c; k++) out[(y * size + x) * c + k] = image.data[(sy * w + sx) * c + k]!;
    }
  }
  return { data: out, height: size, width: size, channels: c };
}

/**
 * SCL view 1, "standard A" (dataset/transform_cfg.py): RandomCrop(size, padding) → ColorJitter(0.4, 0.4, 0.4) →
 * RandomHorizontalFlip. Also the augmentation of the tiled support images at evaluation time.
 */
export function sclViewA(image: HwcImage, rng: Rng, options: ViewOptions): HwcImage {
  let out = randomCropWithPadding(fit(image, options.size), rng, options.size, options.padding);
  out = colorJitter(out, rng, { brightness: 0.4, contrast: 0.4, saturation: 0.4 });
  if (rng.next() < 0.5) out = horizontalFlip(out);
  return out;
}

/**
 * SCL view 2, "simclr" (dataset/utils.py): RandomResizedCrop(size, scale (0.2, 1)) → RandomHorizontalFlip →
 * ColorJitter(0.4, 0.4, 0.4, 0.1) with p = 0.8 → RandomGrayscale(p = 0.2). Greyscale inputs get brightness and
 * contrast only.
 */
export function sclViewB(image: HwcImage, rng: Rng, options: ViewOptions): HwcImage {
  let out = randomResizedCrop(image, rng, { size: { height: options.size, width: options.size }, scale: [0.2, 1] });
  if (rng.next() < 0.5) out = horizontalFlip(out);
  if (rng.next() < 0.8) out = colorJitter(out, rng, { brightness: 0.4, contrast: 0.4, saturation: 0.4, hue: 0.1 });
  return randomGrayscale(out, rng, 0.2);
}

/** Resize (when needed) without augmentation: the test-time transform. */
export function plainView(image: HwcImage, size: number): HwcImage {
  return fit(image, size);
}

/** Stacks HWC images into an NHWC float32 tensor (the caller disposes it). */
export function stackImages(images: readonly HwcImage[]): tf.Tensor4D {
  if (images.length === 0) throw new Error('stackImages: no images');
  const { height: h, width: w, channels: c } = images[0]!;
  const per = h * w * c;
  const buf = new Float32Array(images.length * per);
  images.forEach((im, i) => {
    if (im.height !== h || im.width !== w || im.channels !== c) throw new Error(`stackImages: image ${i} is ${im.height}×${im.width}×${im.channels}, image 0 is ${h}×${w}×${c}`);
    buf.set(im.data, i * per);
  });
  return tf.tensor4d(buf, [images.length, h, w, c]);
}

/**
 * SCL's `TwoCropTransform` on a batch: returns x = [view 1 of every image; view 2 of every image] ([2N, H, W, C])
 * and y [N] int32.
 */
export function twoViewBatch(data: ImageClassificationArrays, indices: readonly number[], rng: Rng, options: ViewOptions): { x: tf.Tensor4D; y: tf.Tensor1D } {
  const images = indices.map((i) => imageAt(data, i));
  const v1 = images.map((im) => sclViewA(im, rng, options));
  const v2 = images.map((im) => sclViewB(im, rng, options));
  return { x: stackImages([...v1, ...v2]), y: tf.tensor1d(Int32Array.from(indices, (i) => data.labels[i]!), 'int32') };
}
