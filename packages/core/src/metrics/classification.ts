import { checkBinary, pairOfNumbers, type NumericInput } from './values';

/** Counts of a binary confusion matrix (positive class 1). */
export interface BinaryCounts {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

/** Binary confusion counts of 0/1 labels; errors on empty, mismatched or non-binary input. */
export function binaryCounts(yTrue: NumericInput, yPred: NumericInput, fnName = 'binaryCounts'): BinaryCounts {
  const [t, p] = pairOfNumbers(fnName, yTrue, yPred, ['yTrue', 'yPred']);
  checkBinary(fnName, t, 'yTrue');
  checkBinary(fnName, p, 'yPred');
  const c: BinaryCounts = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let i = 0; i < t.length; i++) {
    if (t[i] === 1) {
      if (p[i] === 1) c.tp++;
      else c.fn++;
    } else if (p[i] === 1) c.fp++;
    else c.tn++;
  }
  return c;
}

/** Fraction of positions where `yPred` equals `yTrue` (any integer labels). */
export function accuracy(yTrue: NumericInput, yPred: NumericInput): number {
  const [t, p] = pairOfNumbers('accuracy', yTrue, yPred, ['yTrue', 'yPred']);
  let hits = 0;
  for (let i = 0; i < t.length; i++) if (t[i] === p[i]) hits++;
  return hits / t.length;
}

/**
 * Binary F1 of the positive class 1: 2TP / (2TP + FP + FN), 0 when TP + FP + FN = 0
 * (sklearn `f1_score(average='binary', zero_division=0)`). Returns the counts too.
 */
export function f1Binary(yTrue: NumericInput, yPred: NumericInput): BinaryCounts & { f1: number } {
  const c = binaryCounts(yTrue, yPred, 'f1Binary');
  const denom = 2 * c.tp + c.fp + c.fn;
  return { ...c, f1: denom === 0 ? 0 : (2 * c.tp) / denom };
}

/**
 * Matthews correlation coefficient of binary labels, (TP·TN − FP·FN) / sqrt((TP+FP)(TP+FN)(TN+FP)(TN+FN)),
 * 0 when the denominator is 0 (sklearn `matthews_corrcoef`).
 */
export function matthewsCorrcoef(yTrue: NumericInput, yPred: NumericInput): number {
  const { tp, fp, fn, tn } = binaryCounts(yTrue, yPred, 'matthewsCorrcoef');
  const denom = Math.sqrt((tp + fp) * (tp + fn) * (tn + fp) * (tn + fn));
  return denom === 0 ? 0 : (tp * tn - fp * fn) / denom;
}
