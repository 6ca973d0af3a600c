// One forward/loss call through the public API (run by scripts/check-a-la-carte.mjs on the packed package).
export async function smoke(mod, tf) {
  const model = new mod.ArSegModel({ inChannels: 1, numClusters: 3, stemChannels: 2, numBlocks: 1, attention: true });
  const x = tf.randomUniform([2, 8, 8, 1]);
  const [a, b] = model.forwardPair(x, 1, 8);
  const parts = mod.arSegLoss(a, b, { halfT: 1 });
  const loss = parts.total.dataSync()[0];
  if (!Number.isFinite(loss)) throw new Error(`loss is not finite: ${loss}`);
  tf.dispose([x, a.probs, b.probs, parts.total, parts.mi]);
  model.dispose();
}
