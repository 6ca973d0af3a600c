// Barrel of layers: explicit named exports only.
export { relu, leakyRelu, gelu, ReLU, LeakyReLU, GELU, Tanh, Sigmoid, Identity } from './activations';
export { Linear, linear } from './linear';
export type { LinearOptions } from './linear';
export { Conv2d, conv2d } from './conv';
export type { Conv2dOptions, Conv2dLayerOptions, Conv2dPadding } from './conv';
export { BatchNorm2d } from './batch-norm';
export type { BatchNorm2dOptions } from './batch-norm';
export { LayerNorm, layerNorm } from './layer-norm';
export { Dropout, Dropout2d, dropout, dropout2d } from './dropout';
export { Embedding, embeddingLookup } from './embedding';
export { MultiHeadAttention } from './attention';
export type { MultiHeadAttentionOptions, AttentionForwardOptions } from './attention';
export { MaxPool2d, AvgPool2d, GlobalAvgPool2d, maxPool2d, avgPool2d, globalAvgPool2d } from './pooling';
export type { Pool2dOptions } from './pooling';
export { resizeBilinear, resizeNearest, bilinearMatrix, nearestIndices } from './resize';
export type { ResizeBilinearOptions } from './resize';
export { pixelShuffle, pixelUnshuffle } from './pixel-shuffle';
export {
  kaimingNormal,
  kaimingUniform,
  xavierUniform,
  xavierNormal,
  truncatedNormal,
  uniformInit,
  normalInit,
  zerosInit,
  onesInit,
  computeFans,
  calculateGain,
} from './init';
export type { Initializer, Nonlinearity, Fans, KaimingOptions, XavierOptions, TruncatedNormalOptions } from './init';
