/**
 * ψ(i), the weight of the hard-label CE in Continuation-KD at epoch i (1-based); `1 − ψ` weighs the
 * continuation term.
 * - `paper-nlu`: the paper's Eq. 8 for GLUE, `i/40` for i ≤ 20, then 1.
 * - `linear`: Eq. 7's form `min(1, i/rampEpochs)`; the paper's CIFAR setting is `rampEpochs = 150`.
 * - `step`: 0 up to and including `switchEpoch`, then 1, the Annealing-KD special case.
 * - a function of the epoch for anything else (clamped to [0, 1]).
 */
export type PsiSchedule =
  | { kind: 'paper-nlu' }
  | { kind: 'linear'; rampEpochs: number }
  | { kind: 'step'; switchEpoch: number }
  | ((epoch: number) => number);

/** ψ at 1-based epoch `i`. */
export function psiAt(schedule: PsiSchedule, i: number): number {
  if (typeof schedule === 'function') return Math.min(1, Math.max(0, schedule(i)));
  switch (schedule.kind) {
    case 'paper-nlu':
      return i <= 20 ? i / 40 : 1;
    case 'linear':
      if (!(schedule.rampEpochs > 0)) throw new Error(`psi schedule: rampEpochs must be > 0, got ${schedule.rampEpochs}`);
      return Math.min(1, i / schedule.rampEpochs);
    case 'step':
      return i <= schedule.switchEpoch ? 0 : 1;
  }
}
