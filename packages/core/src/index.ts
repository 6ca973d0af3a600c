// @lel/core — explicit named exports (no `export *`). Browser-safe: no Node built-in anywhere below (CI bundles it for
// the browser, scripts/check-browser.mjs). The Node-only parts (files, run folders, checkpoints on disk, JSONL,
// TensorBoard files, the progress bar, DataParallel) are `./node.ts` (`@lel/core/node`); in Node, `@lel/core` loads
// them itself (`./index-node.ts`, the `node` export condition), so `fit({ runDir })` works there unchanged.
export { initBackend, installedBackends, useBackend, BACKEND_PREFERENCE, PAGE_BACKEND_PREFERENCE } from './backend';
export type { BackendName, BackendInfo, BackendLoaders, InitBackendOptions } from './backend';
export { Parameter } from './module/parameter';
export { Module, ModuleList, Sequential, toNamePredicate, formatLoadReport } from './module/module';
export type { NameMatcher, ParameterCounts, LoadReport, TensorModule, ModuleExtraState, LoadExtraStateOptions } from './module/module';
export { Rng, setGlobalSeed, globalRng } from './random/rng';
export type { RngState } from './random/rng';
export { scoped } from './scope';
export { Optimizer } from './optim/optimizer';
export type { NamedParameter, ParamGroup } from './optim/optimizer';

// Each block below re-exports one area's barrel with explicit names. Edit only your own block.
// <layers>
export {
  relu,
  leakyRelu,
  gelu,
  ReLU,
  LeakyReLU,
  GELU,
  Tanh,
  Sigmoid,
  Identity,
  Linear,
  linear,
  Conv2d,
  conv2d,
  BatchNorm2d,
  LayerNorm,
  layerNorm,
  Dropout,
  Dropout2d,
  dropout,
  dropout2d,
  Embedding,
  embeddingLookup,
  MultiHeadAttention,
  MaxPool2d,
  AvgPool2d,
  GlobalAvgPool2d,
  maxPool2d,
  avgPool2d,
  globalAvgPool2d,
  resizeBilinear,
  resizeNearest,
  bilinearMatrix,
  nearestIndices,
  pixelShuffle,
  pixelUnshuffle,
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
} from './layers/index';
export type {
  LinearOptions,
  Conv2dOptions,
  Conv2dLayerOptions,
  Conv2dPadding,
  BatchNorm2dOptions,
  MultiHeadAttentionOptions,
  AttentionForwardOptions,
  Pool2dOptions,
  ResizeBilinearOptions,
  Initializer,
  Nonlinearity,
  Fans,
  KaimingOptions,
  XavierOptions,
  TruncatedNormalOptions,
} from './layers/index';
// </layers>
// <losses>
export { crossEntropy, klDivergence, softmaxMse, entropy, mse, binaryCrossEntropyWithLogits, NonFiniteTensorError } from './losses/index';
export type { CrossEntropyOptions, KlReduction, EntropyResult, BinaryCrossEntropyOptions, Reduction } from './losses/index';
// </losses>
// <metrics>
export { ConfusionMatrix, hungarianMatch, meanConfidenceInterval, studentTQuantile, regularizedIncompleteBeta, logGamma } from './metrics/index';
export { accuracy, f1Binary, matthewsCorrcoef, binaryCounts, pearson, spearman, rankData } from './metrics/index';
export type { ConfusionMatrixOptions, LabelInput, HungarianMatch, MeanConfidenceInterval, BinaryCounts, NumericInput } from './metrics/index';
// </metrics>
// <optim>
export { STEP_KEY, SGD, Adam, AdamW, polyLr, cosineWithWarmup, linearWithWarmup, stepLr, constantLr } from './optim/index';
export { clipGradNorm, computeGradients, hasNonFinite, stopGradient } from './optim/index';
export type { ParamUpdate, SGDOptions, AdamOptions, LrSchedule, PolyLrOptions, CosineWithWarmupOptions, LinearWithWarmupOptions, StepLrOptions } from './optim/index';
export type { ClipGradNormResult, LossOutput, ComputedGradients } from './optim/index';
// </optim>
// <io>
export { parseSafetensors, serializeSafetensors, toTensorMap, safetensorsDtypeSize, SafetensorsError, SAFETENSORS_MAX_HEADER_SIZE, SAFETENSORS_DEFAULT_LIMITS } from './io/index';
export { f16BitsToFloat, floatToF16Bits, bf16BitsToFloat, floatToBf16Bits } from './io/index';
export type { SafetensorsDtype, SafetensorsData, SafetensorsTensor, ParsedSafetensor, ParsedSafetensors, SafetensorsErrorCode, SafetensorsLimitName, SafetensorsLimits, ParseSafetensorsOptions } from './io/index';
export type { SafetensorsInput, SerializeSafetensorsOptions } from './io/index';
// </io>
// <tensorboard>
export { crc32c, maskedCrc32c, encodeTfRecord, decodeTfRecords, encodeEvent, decodeEvent, EVENT_FILE_VERSION, eventRecord, parseEventFile, scalarSeries } from './tensorboard/index';
export type { DecodedTfRecords, TbEvent, ScalarValue, SessionStatus, ParsedEventFile, ScalarPoint } from './tensorboard/index';
// </tensorboard>
// <train>
export { fit, CallbackList, LineProgress, Throughput, formatProgressLine, formatProgressFields, formatDuration, defaultProgressStream } from './train';
export { NonFiniteLossError, EarlyStopping, validateConfig, ConfigValidationError, hashConfig, canonicalJson } from './train';
export type { FitOptions, FitResult, FitCheckpointOptions, Every, Callback, TrainContext, LossParts, DataSource, TrainData, StepMetrics, LrScheduleLike } from './train';
export type { ProgressMode, ProgressOptions, ProgressState, ProgressStream, MetricsRecord, TrainPosition, BestCheckpointPolicy, EarlyStoppingOptions, ConfigIssue } from './train';
export type { FitStart, LogWindow, FitPlan } from './train';
export { nodeHost, requireNodeHost } from './host';
export type { NodeHost, RunLog } from './host';
// </train>
// <method>
export { defineMethod, runMethod } from './method';
export type { AnyMethod, Method, MethodConfig, MethodConfigInput, MethodData, MethodDefinition, MethodParts, MethodRun, MethodRunOptions, Metrics } from './method';
// </method>
// <data>
export { IGNORE_LABEL, resizeImageBilinear, resizeMaskNearest, randomScaleCropFlip, horizontalFlip, colorJitter, randomGrayscale, randomResizedCrop } from './data/index';
export { batches, indicesByClass, EpisodeSampler } from './data/index';
export type { HwcImage, ImageWithMask, ScaleCropFlipOptions, ColorJitterOptions, RandomResizedCropOptions, BatchOptions, Episode, EpisodeSamplerOptions } from './data/index';
// </data>
// <kernels>
export { registerLelKernels } from './kernels';
export type { LelKernelRegistry } from './kernels';
import { registerLelKernels as registerLelKernelsOnImport } from './kernels';
// LEL's kernel fixes and fast gradients apply to every package that imports @lel/core (idempotent).
registerLelKernelsOnImport();
// </kernels>
// <reads>
export { readValues, readScalar, readAll, readArray } from './tensor-read';
export { deviceCheck, settleDeviceChecks, pendingDeviceChecks, checkIntRange, checkNoNaN } from './device-checks';
export type { Values as TensorValues } from './device-checks';
export { isHostMemoryBackend } from './host-memory-backend';
// </reads>
// <webgpu>
export { WebGPUDeviceError, throwPendingDeviceErrors } from './webgpu/device-errors';
export { describeAdapter } from './webgpu/setup';
export type { WebGPUAdapterSummary } from './webgpu/setup';
// </webgpu>
