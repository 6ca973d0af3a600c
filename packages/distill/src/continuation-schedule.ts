import { psiAt, type PsiSchedule } from './psi-schedule';

/** Options of {@link continuationSchedule}. */
export interface ContinuationScheduleOptions {
  /** Number of training epochs n. */
  epochs: number;
  /** Starting temperature T_max (paper: 10 for NLU, 20 for CIFAR). */
  tMax: number;
  /** ψ schedule; default the paper's NLU Eq. 8. */
  psi?: PsiSchedule;
  /**
   * Epochs over which T is annealed (k = max(1, ⌊annealEpochs/T_max⌋)); default `epochs` (Algorithm 1).
   * A shorter horizon reproduces Annealing-KD's stage 1 inside a longer run.
   */
  annealEpochs?: number;
}

/** Per-epoch values of {@link continuationSchedule}; arrays are indexed by epoch − 1. */
export interface ContinuationSchedule {
  /** Epochs between temperature decrements. */
  k: number;
  T: number[];
  phi: number[];
  psi: number[];
}

/**
 * Continuation-KD's Algorithm 1 (Jafari et al., Findings of EMNLP 2022), epoch by epoch (i = 1..n):
 * `k = max(1, ⌊n/T_max⌋)`; T starts at T_max and drops by 1 whenever `i % k == 0`, *before* φ of that
 * epoch is computed, and never below 1 (taken literally, the algorithm drives T to 0);
 * `φ_i = 1 − (T_i − 1)/T_max` rises from 1/T_max to 1; `ψ_i` from the chosen {@link PsiSchedule}.
 */
export function continuationSchedule(options: ContinuationScheduleOptions): ContinuationSchedule {
  const { epochs, tMax } = options;
  const horizon = options.annealEpochs ?? epochs;
  if (!Number.isInteger(epochs) || epochs < 1) throw new Error(`continuationSchedule: epochs must be a positive integer, got ${epochs}`);
  if (!Number.isInteger(tMax) || tMax < 1) throw new Error(`continuationSchedule: tMax must be an integer >= 1, got ${tMax}`);
  if (!Number.isInteger(horizon) || horizon < 1) throw new Error(`continuationSchedule: annealEpochs must be a positive integer, got ${horizon}`);
  const psi = options.psi ?? { kind: 'paper-nlu' };
  const k = Math.max(1, Math.floor(horizon / tMax));
  const out: ContinuationSchedule = { k, T: [], phi: [], psi: [] };
  let T = tMax;
  for (let i = 1; i <= epochs; i++) {
    if (i % k === 0) T = Math.max(1, T - 1);
    out.T.push(T);
    out.phi.push(1 - (T - 1) / tMax);
    out.psi.push(psiAt(psi, i));
  }
  return out;
}
