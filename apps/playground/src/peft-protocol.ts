import type { PageBackend } from './protocol';
import type { LabelledTexts } from './shipped';

// Messages between the page and a PEFT worker (one per arm: the PEFT method and its baseline).

/** What an arm trains: a PEFT method on the pretrained BERT, or a baseline. */
export type PeftArmMethod = 'lora' | 'bitfit' | 'head' | 'full';
export type PeftArm = 'method' | 'baseline';

/** Fine-tune the shipped BERT on the typed sentences; score it on the held-out sentences after every epoch. */
export interface PeftTrainRequest {
  type: 'train';
  arm: PeftArm;
  method: PeftArmMethod;
  backend: PageBackend | 'auto';
  /** The page's base URL (its shipped files, e.g. the BERT, are fetched relative to it). */
  baseUrl: string;
  /** The sentences typed in the page, with their labels. */
  train: LabelledTexts;
  test: LabelledTexts;
  /** Sentences whose predicted probability of `positive` is sent after every evaluation (the page's "try it"). */
  probes: string[];
  epochs: number;
  seed: number;
}

export type PeftWorkerMessage =
  | { type: 'ready'; arm: PeftArm; backend: string; notes: string[]; trainable: number; all: number }
  | { type: 'step'; arm: PeftArm; step: number; totalSteps: number | undefined; loss: number; parts: Record<string, number> }
  // epoch: epochs completed (0: before fine-tuning)
  | { type: 'eval'; arm: PeftArm; step: number; epoch: number; accuracy: number; probes: number[] }
  | { type: 'done'; arm: PeftArm; steps: number; weights: Uint8Array }
  | { type: 'error'; arm: PeftArm; message: string };
