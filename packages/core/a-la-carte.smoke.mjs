// One forward/loss/optimiser step through @lel/core's public exports (scripts/check-a-la-carte.mjs).
export async function smoke(core, tf) {
  const rng = new core.Rng(0);
  const model = new core.Linear(4, 3, { rng });
  const opt = new core.AdamW(model.namedParameters(), { lr: 1e-2 });
  const x = rng.normalTensor([5, 4]);
  const y = tf.tensor1d([0, 1, 2, 0, 1], 'int32');
  const { loss, grads } = await core.computeGradients(() => core.crossEntropy(model.forward(x), y), model.namedParameters());
  if (!Number.isFinite(loss)) throw new Error('loss is not finite');
  opt.step(grads);
  const bytes = await core.serializeSafetensors(model.stateDict());
  const back = core.toTensorMap(core.parseSafetensors(bytes));
  model.loadStateDict(back);
  tf.dispose([x, y, ...grads.values(), ...back.values()]);
  opt.dispose();
  model.dispose();
}
