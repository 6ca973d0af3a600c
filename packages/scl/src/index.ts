// @lel/scl: Spatial Contrastive Learning for few-shot classification (Ouali et al., ECML-PKDD 2021).
// Explicit named exports only.
export { SclConfigSchema, SclDistillConfigSchema, FewShotEvalConfigSchema, BackboneConfigSchema } from './config';
export type { SclConfig, SclConfigInput, SclDistillConfig, SclDistillConfigInput, FewShotEvalConfig, FewShotEvalConfigInput } from './config';
export { spatialSimilarity, AttentionSimilarity } from './attention';
export type { SpatialAggregation, AttentionWeights, SpatialSimilarityOptions, SpatialSimilarity, AttentionSimilarityOptions } from './attention';
export { supConLoss, selfSupConLoss, globalContrastiveLoss, l2Normalize } from './contrastive';
export type { SupConOptions, SupConResult, GlobalContrastiveResult } from './contrastive';
export { featureDistance, klDistillation } from './distill-loss';
export { ProjectionHead } from './projection';
export { SclModel } from './model';
export type { SclModelOptions } from './model';
export { sclLoss } from './loss';
export type { SclLossOptions, SclLossParts } from './loss';
export type { ImageClassificationArrays } from './data';
export { sclViewA, sclViewB, plainView, randomCropWithPadding, twoViewBatch, stackImages, imageAt } from './augment';
export type { ViewOptions } from './augment';
export { scl, sclDistill, trainScl, trainSclDistill, sclDistillLoss, multiStepEpochLr, saveSclWeights, loadSclWeights } from './train';
export type { SclDistillData, SclTrainOptions, SclTrainResult, SclDistillLossParts } from './train';
export { fitLogisticRegression, argmaxRows } from './fewshot/logreg';
export type { LogisticRegression, LogisticRegressionOptions } from './fewshot/logreg';
export type { FeatureMatrix } from './fewshot/matrix';
export { protoNetLogits } from './fewshot/protonet';
export type { ProtoNetLogits } from './fewshot/protonet';
export { episodeAccuracyCI } from './fewshot/ci';
export type { EpisodeAccuracyCI } from './fewshot/ci';
export { extractFeatures, classifyEpisode, evaluateFewShot } from './fewshot/evaluate';
export type { FeatureExtractor, ImageFeatures, EpisodeFeatures, FewShotResult } from './fewshot/evaluate';
