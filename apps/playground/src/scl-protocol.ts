import type { PageBackend } from './protocol';
import type { GlyphImages } from './shipped';

// Messages between the page and an SCL worker (one per arm: CE + spatial contrastive, and CE alone).

export type SclArm = 'scl' | 'ce';

/** Train one arm on the base glyphs; score it on episodes of the novel glyphs after every epoch. */
export interface SclTrainRequest {
  type: 'train';
  arm: SclArm;
  backend: PageBackend | 'auto';
  base: GlyphImages;
  novel: GlyphImages;
  epochs: number;
  /** Support images per class in the evaluation episodes (5-way). */
  kShot: number;
  /** Evaluation episodes after every epoch. */
  episodes: number;
  seed: number;
}

/** One evaluation episode as the page draws it: novel-set indices, true and predicted classes of the queries. */
export interface ShownEpisode {
  support: number[];
  supportLabels: number[];
  query: number[];
  queryLabels: number[];
  predicted: number[];
}

export type SclWorkerMessage =
  | { type: 'ready'; arm: SclArm; backend: string; notes: string[] }
  | { type: 'step'; arm: SclArm; step: number; totalSteps: number | undefined; loss: number; parts: Record<string, number> }
  // epoch: epochs completed (0: the untrained network)
  | { type: 'eval'; arm: SclArm; step: number; epoch: number; accuracy: number; ci95: number; episodes: number; shown: ShownEpisode }
  | { type: 'done'; arm: SclArm; steps: number; weights: Uint8Array }
  | { type: 'error'; arm: SclArm; message: string };
