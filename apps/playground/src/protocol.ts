import type { SegmentationArrays } from '@lel/cct';

// Messages between the page and a training worker (one worker per arm: the method and its baseline).

/** The TensorFlow.js backends the page offers. */
export type PageBackend = 'webgpu' | 'webgl' | 'wasm' | 'cpu';

/** Start training one arm. */
export interface TrainRequest {
  type: 'train';
  /** `cct`: semi-supervised CCT (labelled + unlabelled); `baseline`: the same network supervised on the labelled only. */
  arm: 'cct' | 'baseline';
  backend: PageBackend | 'auto';
  /** The scenes as plain arrays (structured-cloned into the worker). */
  scenes: SegmentationArrays;
  labelled: number[];
  unlabelled: number[];
  val: number[];
  /** Validation scenes whose predicted masks are sent back after every evaluation. */
  shown: number[];
  epochs: number;
  seed: number;
}

/** What a worker reports. */
export type WorkerMessage =
  | { type: 'ready'; arm: TrainRequest['arm']; backend: string }
  | { type: 'step'; arm: TrainRequest['arm']; step: number; totalSteps: number | undefined; loss: number; parts: Record<string, number> }
  | { type: 'eval'; arm: TrainRequest['arm']; step: number; miou: number; pixelAccuracy: number; masks: Int32Array[] }
  | { type: 'done'; arm: TrainRequest['arm']; steps: number; stopReason: string; weights: Uint8Array; tensorNames: string[] }
  | { type: 'error'; arm: TrainRequest['arm']; message: string };
