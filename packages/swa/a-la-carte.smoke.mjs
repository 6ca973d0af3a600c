// Average two states of a model (SWA and EMA) and read the LR schedule (scripts/check-a-la-carte.mjs).
export async function smoke(swa, tf) {
  const core = await import('@lel/core');
  const model = new core.Linear(3, 2, { rng: new core.Rng(0) });
  const avg = new swa.AveragedModel(model);
  avg.update(model);
  tf.tidy(() => model.weight.assign(tf.add(model.weight.variable, 1)));
  avg.update(model);
  avg.copyTo(model);
  const sched = swa.swaLrSchedule({ base: 0.1, swaLr: 0.05, startStep: 0, annealEpochs: 2, stepsPerEpoch: 1 });
  if (!Number.isFinite(sched.lrAt(1))) throw new Error('schedule gave a non-finite lr');
  avg.dispose();
  model.dispose();
}
