// One forward/loss call through the public API (run by scripts/check-a-la-carte.mjs on the packed package).
export async function smoke(mod, tf) {
  const model = new mod.EntropyMinClassifier(4, 8, 3);
  const x = tf.randomNormal([5, 4]);
  const y = tf.tensor1d([0, 1, 2, 0, 1], 'int32');
  const parts = mod.entropyMinLoss(model.forward(x), y, model.forward(x), 0.1);
  if (!Number.isFinite(parts.total.dataSync()[0])) throw new Error('loss is not finite');
  tf.dispose([x, y, parts.total, parts.sup, parts.unsup]);
  model.dispose();
}
