import { z } from 'zod';

// Sources: yassouali/SCL @e40409d — train_contrastive.py (argparse), scripts/run.sh, models/resnet.py,
// train_distillation.py, eval_fewshot.py, eval/meta_eval.py. "run.sh" marks values of the published runs where they
// differ from the argparse defaults.

const stageWidths = z.tuple([z.number().int().positive(), z.number().int().positive(), z.number().int().positive(), z.number().int().positive()]);
const milestones = z.array(z.number().int().positive());

/** Backbone options shared by the SCL model and its distilled student. */
export const BackboneConfigSchema = z.object({
  /** ResNet-12 stage widths. Default 64-160-320-640 (models/resnet.py). */
  channels: stageWidths.default([64, 160, 320, 640]),
  /** Dropout (stages 1–2) / DropBlock (stages 3–4) rate. Default 0.1 (models/resnet.py `drop_rate`). */
  dropRate: z.number().min(0).max(1).default(0.1),
  /** DropBlock size: 5 for 84² inputs, 2 for the 32² CIFAR-FS/FC100 setting (models/util.py). Default 2: our images are 32². */
  dropBlockSize: z.number().int().positive().default(2),
  /** Side of the (square) training images. Default 32 (the CIFAR-FS/FC100 setting; mini-ImageNet uses 84). */
  imageSize: z.number().int().positive().default(32),
  /** Zero padding of view 1's random crop. Default 4 (CIFAR transform_cfg.py; 8 at 84²). */
  cropPadding: z.number().int().nonnegative().default(4),
});

/** Options of SCL pre-training ({@link trainScl}). */
export const SclConfigSchema = BackboneConfigSchema.extend({
  /** Width C′ of the projection head and of q/k/v. Default 80 (`--feat_dim`). */
  featDim: z.number().int().positive().default(80),
  /** Spatial contrastive loss on. run.sh: on (argparse: off). */
  spatialContLoss: z.boolean().default(true),
  /** Global contrastive loss on. run.sh: off (argparse: off). */
  globalContLoss: z.boolean().default(false),
  /** Self-supervised contrastive terms (positives = the other view only; `--use_selfsup_loss`, broken upstream). Default false. */
  selfSupervised: z.boolean().default(false),
  /** λ_cls, weight of the cross-entropy on both views. run.sh: 1 (argparse: 0). */
  lambdaCls: z.number().nonnegative().default(1),
  /** λ_sp. Default 1 (run.sh and argparse; 0.5 for CIFAR-FS in run.sh). */
  lambdaSpatial: z.number().nonnegative().default(1),
  /** λ_gl. Default 1 (argparse). */
  lambdaGlobal: z.number().nonnegative().default(1),
  /** Inverse temperature of SC. Default 10 (`--spatial_temp`… `temperature` used as a multiplier). */
  spatialInverseTemperature: z.number().positive().default(10),
  /** Inverse temperature of GC. Default 10. */
  globalInverseTemperature: z.number().positive().default(10),
  /** Per-location aggregation of the spatial similarity. Default 'mean' (`--aggregation`). */
  aggregation: z.enum(['mean', 'sum', 'max', 'logsum']).default('mean'),
  /** Weight of the ProtoNet episodic term (ours; the official code has none). Default 0 (off). */
  lambdaProto: z.number().nonnegative().default(0),
  /** Episodic batches for the ProtoNet term: nWay classes × (kShot + nQuery) images per batch (ours). */
  episode: z.object({ nWay: z.number().int().min(2), kShot: z.number().int().positive(), nQuery: z.number().int().positive() }).nullable().default(null),
  /** Clip the global gradient norm (ours; the official code does not clip). Default null (off). */
  gradClipNorm: z.number().positive().nullable().default(null),
  /** SGD learning rate. Default 0.05 (`--learning_rate`). */
  lr: z.number().positive().default(0.05),
  /** Default 0.9. */
  momentum: z.number().min(0).max(1).default(0.9),
  /** Default 5e-4. */
  weightDecay: z.number().nonnegative().default(5e-4),
  /** Images per batch (two views each, so 2× per forward). Default 64. */
  batchSize: z.number().int().positive().default(64),
  /** Default 90 (mini-ImageNet). */
  epochs: z.number().int().positive().default(90),
  /** lr × `lrDecayRate` once the epoch passes each milestone. Default [60, 80] (mini-ImageNet; CIFAR-FS 45/60/75). */
  lrMilestones: milestones.default([60, 80]),
  /** Default 0.1. */
  lrDecayRate: z.number().positive().default(0.1),
  /** Default 31 (run.sh `--seed`). */
  seed: z.number().int().default(31),
});

/** Resolved SCL training config. */
export type SclConfig = z.infer<typeof SclConfigSchema>;
/** SCL training config as written by a user (defaults filled in by the schema). */
export type SclConfigInput = z.input<typeof SclConfigSchema>;

/** Options of SCL distillation ({@link trainSclDistill}). */
export const SclDistillConfigSchema = BackboneConfigSchema.extend({
  /** λ_cls on the (single) view. Default 0 (train_distillation.py). */
  lambdaCls: z.number().nonnegative().default(0),
  /** λ_KD of KL(teacher ‖ student) at temperature T. run.sh: 1. */
  lambdaKD: z.number().nonnegative().default(1),
  /** λ_g, pooled-feature distance. run.sh: 10. */
  lambdaGlobal: z.number().nonnegative().default(10),
  /** λ_s, spatial (per-location) feature distance. Default 0 (train_distillation.py). */
  lambdaSpatial: z.number().nonnegative().default(0),
  /** Distillation temperature. Default 4 (`--kd_T`). */
  temperature: z.number().positive().default(4),
  /** run.sh: 0.01. */
  lr: z.number().positive().default(0.01),
  momentum: z.number().min(0).max(1).default(0.9),
  weightDecay: z.number().nonnegative().default(5e-4),
  batchSize: z.number().int().positive().default(64),
  epochs: z.number().int().positive().default(90),
  lrMilestones: milestones.default([60, 80]),
  lrDecayRate: z.number().positive().default(0.1),
  seed: z.number().int().default(31),
});

/** Resolved distillation config. */
export type SclDistillConfig = z.infer<typeof SclDistillConfigSchema>;
export type SclDistillConfigInput = z.input<typeof SclDistillConfigSchema>;

/** Options of the few-shot evaluation ({@link evaluateFewShot}). */
export const FewShotEvalConfigSchema = z.object({
  /** Default 5 (eval_fewshot.py `--n_ways`). */
  nWay: z.number().int().min(2).default(5),
  /** Default 1 (`--n_shots`; 1 and 5 are reported). */
  kShot: z.number().int().positive().default(1),
  /** Queries per class. Default 15 (`--n_queries`). */
  nQuery: z.number().int().positive().default(15),
  /** Default 600 (`--n_test_runs`). */
  episodes: z.number().int().min(2).default(600),
  /** Augmented copies of each support image (view-1 augmentation). Default 5 (`--n_aug_support_samples`). */
  nAugSupport: z.number().int().positive().default(5),
  /** 'logreg' (SCL's probe) or 'protonet' (ours: nearest prototype on the L2-normalised features). */
  classifier: z.enum(['logreg', 'protonet']).default('logreg'),
  /** Which features: the pooled vector, the 2×2 max-pooled map, or both (probabilities summed). Default 'both'. */
  features: z.enum(['global', 'spatial', 'both']).default('both'),
  /** How the two classifiers combine: sum of probabilities (default, as eval/meta_eval.py) or max. */
  combine: z.enum(['sum', 'max']).default('sum'),
  /** Logistic regression C. Default 1. */
  C: z.number().positive().default(1),
  /** Default 1000 (`max_iter`). */
  maxIter: z.number().int().positive().default(1000),
  /** Episode seed (the official code draws unseeded episodes). Default 0. */
  seed: z.union([z.number(), z.string()]).default(0),
});

export type FewShotEvalConfig = z.infer<typeof FewShotEvalConfigSchema>;
export type FewShotEvalConfigInput = z.input<typeof FewShotEvalConfigSchema>;
