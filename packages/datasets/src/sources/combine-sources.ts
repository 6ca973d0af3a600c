import type { ImageSource } from './image-source';

/** A part of a source: some of its samples, in the given order. */
export interface SourcePart {
  source: ImageSource;
  indices: readonly number[];
}

/**
 * The samples of several source parts as one unlabelled {@link ImageSource}, masks and labels dropped: how a
 * semi-supervised run pools the labelled set's unused samples with a folder of raw images. Sample `i` of the result
 * is the `i`-th of the concatenated parts.
 */
export function unlabelledPool(parts: readonly SourcePart[], description?: string): ImageSource {
  const owners: { source: ImageSource; index: number }[] = [];
  for (const p of parts) for (const i of p.indices) owners.push({ source: p.source, index: i });
  const at = (i: number) => {
    const o = owners[i];
    if (!o) throw new RangeError(`unlabelledPool: sample index ${i} is outside [0, ${owners.length})`);
    return o;
  };
  return {
    kind: 'unlabelled',
    description: description ?? parts.map((p) => `${p.indices.length} of ${p.source.description}`).join(' + '),
    length: owners.length,
    id: (i) => at(i).source.id(at(i).index),
    read: async (i, options = {}) => {
      const o = at(i);
      // Labels of a pooled labelled sample are never used: skip its mask's range check.
      const { numClasses: _ignored, ...rest } = options;
      const s = await o.source.read(o.index, rest);
      return { image: s.image };
    },
  };
}
