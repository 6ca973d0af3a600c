import type { PeftConfig } from '@lel/peft';

/** One arm of the PEFT table: a method (null = full fine-tuning) and the learning rates its dev sweep tries. */
export interface PeftArm {
  label: string;
  peft: PeftConfig | null;
  lrs: number[];
  /** The ladder at N = 64 and 256: the two neighbouring rates best on N = 16's dev split (see `sweepLrs`). */
  lrsN64?: number[];
}

// Learning-rate grids: a factor-of-3 ladder around each family's usual value (full FT 1e-4 on a small BERT,
// BitFit 1e-3 official, LoRA/KronA ≈ 1e-3 on small models), chosen per method on the dev split.
const FULL_LRS = [3e-5, 1e-4, 3e-4];
const BIAS_LRS = [1e-3, 3e-3, 1e-2];
const ADAPTER_LRS = [3e-4, 1e-3, 3e-3];

/** The PEFT table's arms, all with BertForSequenceClassification's linear head on the pooled [CLS]. */
export const PEFT_ARMS: PeftArm[] = [
  // lrsN64: N = 16's dev accuracy (seed 100, /work/runs/text/peft-sweep.jsonl) picked the best rate of each
  // ladder and its better neighbour; LoRA's N = 16 sweep ran after the others, so it keeps the adapters' two upper rates.
  { label: 'full', peft: null, lrs: FULL_LRS, lrsN64: [1e-4, 3e-4] },
  { label: 'bitfit', peft: { method: 'bitfit' }, lrs: BIAS_LRS, lrsN64: [3e-3, 1e-2] },
  { label: 'relbitfit', peft: { method: 'relbitfit' }, lrs: BIAS_LRS, lrsN64: [1e-3, 3e-3] },
  { label: 'relbitfit-clip16', peft: { method: 'relbitfit', maxDistance: 16 }, lrs: BIAS_LRS, lrsN64: [3e-3, 1e-2] },
  { label: 'relbitfit-pt-lr-clip', peft: { method: 'relbitfit', maxDistance: 8, rank: 4, shareAcrossHeads: true, shareAcrossLayers: true }, lrs: BIAS_LRS, lrsN64: [1e-3, 3e-3] },
  { label: 'krona', peft: { method: 'krona' }, lrs: ADAPTER_LRS, lrsN64: [1e-3, 3e-3] },
  { label: 'krona-b', peft: { method: 'krona', variant: 'block' }, lrs: ADAPTER_LRS, lrsN64: [1e-3, 3e-3] },
  { label: 'krona-b-res', peft: { method: 'krona', variant: 'block_res' }, lrs: ADAPTER_LRS, lrsN64: [3e-4, 1e-3] },
  { label: 'lora', peft: { method: 'lora' }, lrs: ADAPTER_LRS, lrsN64: [1e-3, 3e-3] },
];

/** Epochs per labels-per-class at batch 16: ≈ 50, 96 and 192 optimiser steps for N = 16, 64, 256; 3 for the ceiling. */
export function epochsFor(perClass: number | 'all'): number {
  if (perClass === 'all') return 3;
  if (perClass <= 16) return 25;
  if (perClass <= 64) return 12;
  return 6;
}

/**
 * The underfitting check (`run-grid.ts peft-long`): these arms at this N with `factor` × the table's epochs, at the rates
 * the dev split chose for the table (not re-swept), paired by seed with the table's rows.
 */
export const LONG = { perClass: 64, factor: 3, arms: ['full', 'bitfit', 'lora'] };
