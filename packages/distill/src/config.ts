import { z } from 'zod';

/**
 * Configuration schemas of the distillation methods, with defaults from the papers / official code.
 * Parse user input with `DistillMethodConfig.parse(raw)` (or `@lel/core`'s `validateConfig`) to get
 * every default filled in.
 */

/** ψ schedule of Continuation-KD (see `psiAt`). */
export const PsiScheduleConfig = z.discriminatedUnion('kind', [
  // Eq. 8 of Jafari et al. 2022 (GLUE): i/40 for i ≤ 20, then 1.
  z.object({ kind: z.literal('paper-nlu') }).strict(),
  // Eq. 7 form; the paper's CIFAR setting ramps over 150 epochs.
  z.object({ kind: z.literal('linear'), rampEpochs: z.number().positive() }).strict(),
  z.object({ kind: z.literal('step'), switchEpoch: z.number().int().nonnegative() }).strict(),
]);

/** Training from the labels only (the "student from scratch" baseline). */
export const NoneConfig = z.object({ method: z.literal('none') }).strict();

/** Hinton KD with torchdistill's KDLoss semantics (see `kdLoss`). */
export const KdConfig = z
  .object({
    method: z.literal('kd'),
    /** Hard-label weight. torchdistill's KDLoss has no default (None = soft only); 0.5 weighs both terms equally. */
    alpha: z.number().min(0).max(1).default(0.5),
    /** TextBrewer's `DistillationConfig.temperature` default is 4. */
    temperature: z.number().positive().default(4),
  })
  .strict();

/** Annealing-KD (Jafari et al., EACL 2021): stage 1 teacher matching, stage 2 labels only. */
export const AnnealingKdConfig = z
  .object({
    method: z.literal('annealing-kd'),
    /** Starting temperature; 10 as Continuation-KD's NLU setting, which compares against Annealing-KD. */
    tMax: z.number().int().min(1).default(10),
    /** Fraction of the epochs spent in stage 1 (the rest is stage 2). [ours: the paper tunes it per task] */
    stage1Fraction: z.number().gt(0).max(1).default(0.5),
  })
  .strict();

/** Continuation-KD (Jafari et al., Findings of EMNLP 2022). */
export const ContinuationKdConfig = z
  .object({
    method: z.literal('continuation-kd'),
    /** Paper: 10 for NLU, 20 for CIFAR. */
    tMax: z.number().int().min(1).default(10),
    /** Paper: Eq. 8 for NLU; `{ kind: 'linear', rampEpochs: 150 }` for CIFAR. */
    psi: PsiScheduleConfig.default({ kind: 'paper-nlu' }),
    /** Margin m. The paper does not state its value; 1 is ours. m = 0 gives Annealing-KD-like matching. */
    margin: z.number().nonnegative().default(1),
  })
  .strict();

/** Label smoothing (Szegedy et al. 2016): ε = 0.1 is the paper's and the common default. */
export const LabelSmoothingConfig = z
  .object({ method: z.literal('label-smoothing'), epsilon: z.number().min(0).max(1).default(0.1) })
  .strict();

/** Confidence penalty (Pereyra et al. 2017). */
export const ConfidencePenaltyConfig = z
  .object({
    method: z.literal('confidence-penalty'),
    /** β; the paper searches a grid per task, 0.1 is ours. */
    beta: z.number().nonnegative().default(0.1),
    /** Entropy threshold Γ in nats; absent = plain penalty. */
    threshold: z.number().nonnegative().optional(),
    /** Linear annealing of β from 0 over this many steps; absent = constant β. The paper gives no schedule. */
    annealSteps: z.number().int().nonnegative().optional(),
  })
  .strict();

/** Any method the distillation recipe runs. */
export const DistillMethodConfig = z.discriminatedUnion('method', [
  NoneConfig,
  KdConfig,
  AnnealingKdConfig,
  ContinuationKdConfig,
  LabelSmoothingConfig,
  ConfidencePenaltyConfig,
]);

export type PsiScheduleConfig = z.output<typeof PsiScheduleConfig>;
export type KdConfig = z.output<typeof KdConfig>;
export type AnnealingKdConfig = z.output<typeof AnnealingKdConfig>;
export type ContinuationKdConfig = z.output<typeof ContinuationKdConfig>;
export type LabelSmoothingConfig = z.output<typeof LabelSmoothingConfig>;
export type ConfidencePenaltyConfig = z.output<typeof ConfidencePenaltyConfig>;
export type DistillMethodConfig = z.output<typeof DistillMethodConfig>;
/** Input form (defaults optional). */
export type DistillMethodInput = z.input<typeof DistillMethodConfig>;
