import type { Rng } from '@lel/core';

/** Options of {@link maskTokens}. */
export interface MaskTokensOptions {
  /** Token ids that are never selected ([CLS], [SEP], [PAD]). */
  specialIds: ReadonlySet<number>;
  maskId: number;
  vocabSize: number;
  /** Selection probability. Default 0.15 (BERT). */
  maskProb?: number;
}

/** A masked batch: corrupted inputs and the targets at the selected positions. */
export interface MaskedBatch {
  /** Corrupted ids, row-major like the input. */
  inputIds: number[][];
  /** Flat indices (row·T + col) of the selected positions, ascending. */
  positions: number[];
  /** Original ids at `positions`. */
  labels: number[];
}

/**
 * BERT's masked-LM corruption (HF `DataCollatorForLanguageModeling`): each non-special token is selected with
 * probability `maskProb`; a selected token becomes [MASK] with probability 0.8, a uniformly random token with
 * 0.1, and stays unchanged with 0.1. At least one token per batch is selected so the loss is defined.
 */
export function maskTokens(ids: readonly (readonly number[])[], rng: Rng, options: MaskTokensOptions): MaskedBatch {
  const p = options.maskProb ?? 0.15;
  const inputIds = ids.map((r) => [...r]);
  const positions: number[] = [];
  const labels: number[] = [];
  const candidates: number[] = [];
  const t = ids[0]?.length ?? 0;
  const corrupt = (b: number, j: number) => {
    const orig = ids[b]![j]!;
    positions.push(b * t + j);
    labels.push(orig);
    const u = rng.next();
    if (u < 0.8) inputIds[b]![j] = options.maskId;
    else if (u < 0.9) inputIds[b]![j] = rng.int(options.vocabSize);
  };
  ids.forEach((row, b) => {
    if (row.length !== t) throw new Error(`maskTokens: row ${b} has length ${row.length}, expected ${t} (pad the batch first)`);
    row.forEach((id, j) => {
      if (options.specialIds.has(id)) return;
      candidates.push(b * t + j);
      if (rng.next() < p) corrupt(b, j);
    });
  });
  if (positions.length === 0 && candidates.length > 0) {
    const flat = candidates[rng.int(candidates.length)]!;
    corrupt(Math.floor(flat / t), flat % t);
  }
  return { inputIds, positions, labels };
}
