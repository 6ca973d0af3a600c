// KD and Continuation-KD losses through the public exports (scripts/check-a-la-carte.mjs).
export async function smoke(distill, tf) {
  const s = tf.randomNormal([4, 3]);
  const t = tf.randomNormal([4, 3]);
  const y = tf.tensor1d([0, 1, 2, 1], 'int32');
  const kd = distill.kdLoss({ studentLogits: s, teacherLogits: t, labels: y }, { alpha: 0.5, temperature: 4 });
  const ckd = distill.continuationKdLoss({ studentLogits: s, teacherLogits: t, labels: y }, { psi: 0.5, phi: 0.5, margin: 1 });
  if (!Number.isFinite(kd.total.dataSync()[0]) || !Number.isFinite(ckd.total.dataSync()[0])) throw new Error('loss not finite');
  tf.dispose([s, t, y, ...Object.values(kd).filter((v) => v instanceof tf.Tensor), ...Object.values(ckd).filter((v) => v instanceof tf.Tensor)]);
}
