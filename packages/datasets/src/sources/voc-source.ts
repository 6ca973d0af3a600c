import { VOC_CLASS_NAMES, vocSamplePaths } from '../loaders/voc';
import type { ImageSource } from './image-source';
import { readImageWithMask, readMaskAsync } from './read-files';

/** Options of {@link vocSource}. */
export interface VocSourceOptions {
  /** Split list: `ImageSets/Segmentation/<split>.txt`. Default "train". */
  split?: string;
  /** Mask directory under the root. Default "SegmentationClass" ("SegmentationClassAug" for the augmented set). */
  maskDir?: string;
  /** Class names; their count bounds the mask values (255 = ignore). Default VOC's 21. */
  classNames?: readonly string[];
}

/**
 * A PASCAL-VOC-layout segmentation folder as a streaming {@link ImageSource}: the ids of the split list, images from
 * `JPEGImages/<id>.jpg|png`, masks from `SegmentationClass/<id>.png`. Every listed image and mask must exist (checked
 * when listing); images are decoded only when read (RGB unless `channels` says otherwise).
 */
export function vocSource(root: string, options: VocSourceOptions = {}): ImageSource {
  const split = options.split ?? 'train';
  const samples = vocSamplePaths(root, { split, ...(options.maskDir ? { maskDir: options.maskDir } : {}) });
  const classNames = options.classNames ?? VOC_CLASS_NAMES;
  return {
    kind: 'segmentation',
    description: `VOC ${root} (${split}.txt): ${samples.length} images with masks`,
    length: samples.length,
    classNames,
    id: (i) => samples[i]!.image,
    read: async (i, o = {}) => {
      const s = samples[i];
      if (!s) throw new RangeError(`vocSource: sample index ${i} is outside [0, ${samples.length})`);
      return await readImageWithMask(s.image, s.mask, { channels: 3, numClasses: classNames.length, ...o });
    },
    readMask: async (i) => {
      const s = samples[i];
      if (!s) throw new RangeError(`vocSource: sample index ${i} is outside [0, ${samples.length})`);
      return (await readMaskAsync(s.mask)).data;
    },
  };
}
