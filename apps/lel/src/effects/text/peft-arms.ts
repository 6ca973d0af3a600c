import type { PeftConfig } from '@lel/peft';

/** One arm of the PEFT table: a method (null = full fine-tuning) and the learning rates its dev sweep tries. */
export interface PeftArm {
  label: string;
  peft: PeftConfig | null;
  lrs: number[];
}

// Learning-rate grids: a factor-of-3 ladder around each family's usual value (full FT 1e-4 on a small BERT,
// BitFit 1e-3 official, LoRA/KronA ≈ 1e-3 on small models), chosen per method on the dev split.
const FULL_LRS = [3e-5, 1e-4, 3e-4];
const BIAS_LRS = [1e-3, 3e-3, 1e-2];
const ADAPTER_LRS = [3e-4, 1e-3, 3e-3];

/** The PEFT table's arms, all with BertForSequenceClassification's linear head on the pooled [CLS]. */
export const PEFT_ARMS: PeftArm[] = [
  { label: 'full', peft: null, lrs: FULL_LRS },
  { label: 'bitfit', peft: { method: 'bitfit' }, lrs: BIAS_LRS },
  { label: 'relbitfit', peft: { method: 'relbitfit' }, lrs: BIAS_LRS },
  { label: 'relbitfit-clip16', peft: { method: 'relbitfit', maxDistance: 16 }, lrs: BIAS_LRS },
  { label: 'relbitfit-pt-lr-clip', peft: { method: 'relbitfit', maxDistance: 8, rank: 4, shareAcrossHeads: true, shareAcrossLayers: true }, lrs: BIAS_LRS },
  { label: 'krona', peft: { method: 'krona' }, lrs: ADAPTER_LRS },
  { label: 'krona-b', peft: { method: 'krona', variant: 'block' }, lrs: ADAPTER_LRS },
  { label: 'krona-b-res', peft: { method: 'krona', variant: 'block_res' }, lrs: ADAPTER_LRS },
  { label: 'lora', peft: { method: 'lora' }, lrs: ADAPTER_LRS },
];

/** Epochs per labels-per-class at batch 16: ≈ 50, 96 and 192 optimiser steps for N = 16, 64, 256; 3 for the ceiling. */
export function epochsFor(perClass: number | 'all'): number {
  if (perClass === 'all') return 3;
  if (perClass <= 16) return 25;
  if (perClass <= 64) return 12;
  return 6;
}
