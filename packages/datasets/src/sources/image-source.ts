import type { DecodeOptions } from '../loaders/image';
import type { DecodedImage, ImageClassificationData, SegmentationData } from '../types';

/**
 * What an image source's samples carry: a per-pixel mask (`segmentation`), one class label (`classification`) or
 * nothing (`unlabelled`, e.g. a folder of raw images for semi-supervised learning).
 */
export type ImageSourceKind = 'segmentation' | 'classification' | 'unlabelled';

/** One decoded sample of an {@link ImageSource}, at the size it was stored. */
export interface ImageSample {
  image: DecodedImage;
  /** Segmentation sources: H·W class indices (255 = ignore), the image's size. */
  mask?: Int32Array;
  /** Classification sources: the class index. */
  label?: number;
}

/** Options of {@link ImageSource.read}. */
export interface ReadSampleOptions {
  /** Convert the image to 1 (grey) or 3 (RGB) channels; by default keep the stored count (alpha dropped). */
  channels?: 1 | 3;
  /**
   * Segmentation: classes of the label map; a mask value ≥ it (other than 255) fails naming the file. Without it
   * values are not range-checked (a mask scan infers the count).
   */
  numClasses?: number;
  /** Options passed to the image decoder (`decodeImage`), e.g. its limits. */
  decode?: DecodeOptions;
}

/**
 * A random-access image dataset whose samples are decoded only when read, so a folder of any size costs the
 * memory of its file list. Listing validates the layout (missing masks, empty folders, unknown classes); reading
 * validates each sample (unreadable files, image/mask size mismatch, mask values out of range), and every error
 * names the file at fault.
 */
export interface ImageSource {
  readonly kind: ImageSourceKind;
  /** One line for logs and banners, e.g. `VOC ./my/voc (train.txt): 1,464 images with masks`. */
  readonly description: string;
  /** Number of samples. */
  readonly length: number;
  /** Class names in label order, when the source knows them (class folders, VOC, embedded data). */
  readonly classNames?: readonly string[];
  /** Classification sources: every sample's label, known without decoding (from the folder names). */
  readonly labels?: Int32Array;
  /** A stable identity of sample `i` for split files and messages: a file path, or `name#i` for generated data. */
  id(i: number): string;
  /** Decode sample `i`. */
  read(i: number, options?: ReadSampleOptions): Promise<ImageSample>;
  /** Segmentation sources: decode only the mask of sample `i` (H·W class indices), for a mask scan. */
  readMask?(i: number): Promise<Int32Array>;
}

/** An image converted to `channels` (luminance for 3 → 1, repetition for 1 → 3); the same object when it matches. */
export function withChannels(image: DecodedImage, channels: 1 | 3 | undefined): DecodedImage {
  if (channels === undefined || image.channels === channels) return image;
  const px = image.height * image.width;
  const data = new Float32Array(px * channels);
  const c = image.channels;
  for (let p = 0; p < px; p++) {
    if (channels === 1) data[p] = 0.299 * image.data[p * c]! + 0.587 * image.data[p * c + 1]! + 0.114 * image.data[p * c + 2]!;
    else data.fill(image.data[p * c]!, 3 * p, 3 * p + 3);
  }
  return { data, height: image.height, width: image.width, channels };
}

function checkIndex(i: number, n: number, name: string): void {
  if (!Number.isInteger(i) || i < 0 || i >= n) throw new RangeError(`${name}: sample index ${i} is outside [0, ${n})`);
}

/**
 * An {@link ImageSource} over in-memory segmentation data (e.g. the embedded digit scenes), so generated and
 * on-disk data flow through the same streams. Samples are views of `data`; nothing is copied until batching.
 */
export function segmentationDataSource(data: SegmentationData, name: string, description = name): ImageSource {
  const { n, height, width, channels } = data;
  const per = height * width * channels;
  return {
    kind: 'segmentation',
    description,
    length: n,
    classNames: data.classNames,
    id: (i) => `${name}#${i}`,
    read: (i, options = {}) => {
      checkIndex(i, n, name);
      const image = withChannels({ data: data.images.subarray(i * per, (i + 1) * per), height, width, channels }, options.channels);
      return Promise.resolve({ image, mask: data.masks.subarray(i * height * width, (i + 1) * height * width) });
    },
    readMask: (i) => {
      checkIndex(i, n, name);
      return Promise.resolve(data.masks.subarray(i * height * width, (i + 1) * height * width));
    },
  };
}

/** An {@link ImageSource} over in-memory classification data (e.g. the embedded glyphs); see {@link segmentationDataSource}. */
export function classificationDataSource(data: ImageClassificationData, name: string, description = name): ImageSource {
  const { n, height, width, channels } = data;
  const per = height * width * channels;
  return {
    kind: 'classification',
    description,
    length: n,
    classNames: data.classNames,
    labels: data.labels,
    id: (i) => `${name}#${i}`,
    read: (i, options = {}) => {
      checkIndex(i, n, name);
      const image = withChannels({ data: data.images.subarray(i * per, (i + 1) * per), height, width, channels }, options.channels);
      return Promise.resolve({ image, label: data.labels[i]! });
    },
  };
}
