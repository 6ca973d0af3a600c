// One forward/loss call through the public API (run by scripts/check-a-la-carte.mjs on the packed package).
export async function smoke(mod, tf) {
  const head = new mod.VibHead(6, 3, { ibDim: 4, sampleSize: 2 });
  const h = tf.randomNormal([5, 6]);
  const y = tf.tensor1d([0, 1, 2, 0, 1], 'int32');
  const out = head.forward(h);
  const parts = mod.vibLoss(out, y, { beta: 1e-3, epoch: 1 });
  if (!Number.isFinite(parts.total.dataSync()[0])) throw new Error('VIB loss is not finite');
  const mil = new mod.BernoulliMaskMil({ inputDim: 6, hiddenDim: 8, attentionDim: 4 });
  const bag = tf.randomNormal([7, 6]);
  const label = tf.tensor1d([1], 'int32');
  const milOut = mil.forward(bag);
  const milParts = mod.milIbLoss(milOut, label);
  if (!Number.isFinite(milParts.total.dataSync()[0])) throw new Error('MIL loss is not finite');
  tf.dispose([h, y, bag, label, ...Object.values(out), ...Object.values(parts), ...Object.values(milOut).filter(Boolean), ...Object.values(milParts)]);
  head.dispose();
  mil.dispose();
}
