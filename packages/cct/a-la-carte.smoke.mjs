// One CCT forward with auxiliary decoders and a perturbation (scripts/check-a-la-carte.mjs).
export async function smoke(cct, tf) {
  const encoder = new cct.SmallConvEncoder({});
  const model = new cct.CctModel(encoder, { numClasses: 3 });
  const x = tf.randomUniform([1, 32, 32, 3]);
  const logits = model.forward(x);
  if (logits.shape.join() !== '1,32,32,3') throw new Error(`logits shape ${logits.shape}`);
  const z = tf.randomNormal([1, 4, 4, 8]);
  const noisy = cct.featureNoise(z);
  tf.dispose([x, logits, z, noisy]);
  model.dispose();
}
