import type { GoldenHandler } from '../testing/golden';

/** Golden handlers for layers and losses (crossEntropy, klDivergence, softmaxMse, entropy, resizeBilinear, pixelShuffle, layerNorm, batchNorm2d*, conv2dDilated). */
export const nnHandlers: Record<string, GoldenHandler> = {};
