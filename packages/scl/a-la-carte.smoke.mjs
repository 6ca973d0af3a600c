// One forward/loss call through the public API (run by scripts/check-a-la-carte.mjs on the packed package).
export async function smoke(mod, tf) {
  const model = new mod.SclModel({ numClasses: 3, inChannels: 1, channels: [4, 4, 8, 8], featDim: 4, dropBlockSize: 2 });
  const x = tf.randomUniform([4, 32, 32, 1]);
  const y = tf.tensor1d([0, 1], 'int32');
  const parts = mod.sclLoss(model, x, y, { lambdaCls: 1, spatialContLoss: true, lambdaSpatial: 1, globalContLoss: true, lambdaGlobal: 1 });
  if (!Number.isFinite(parts.total.dataSync()[0])) throw new Error('loss is not finite');
  const probe = mod.fitLogisticRegression({ data: [1, 0, 0, 1], shape: [2, 2] }, [0, 1]);
  if (probe.predict({ data: [0.9, 0.1], shape: [1, 2] })[0] !== 0) throw new Error('logistic regression predicts the wrong class');
  tf.dispose([x, y, ...Object.values(parts)]);
  model.dispose();
}
