import { z } from 'zod';

/** The seven auxiliary-decoder perturbations, keyed as in the config. */
export const PERTURBATIONS = ['vat', 'dropout', 'cutout', 'contextMasking', 'objectMasking', 'featureDrop', 'featureNoise'] as const;
export type PerturbationName = (typeof PERTURBATIONS)[number];

const count = z.number().int().min(0);

/**
 * CCT configuration. Every default is the official one from `yassouali/CCT` configs/config.json
 * (@65d4e5b) unless marked otherwise; the official key is given in each description.
 */
export const CctConfigSchema = z
  .object({
    /** Number of classes (background = class 0). The official code hard-codes 21 (VOC); here it is required. */
    numClasses: z.number().int().min(2),
    /** `ignore_index` 255. */
    ignoreIndex: z.number().int().default(255),
    /** `model.semi` true: build auxiliary decoders; 'supervised' is the baseline (`model.supervised`). */
    mode: z.enum(['semi', 'supervised']).default('semi'),
    /** Output stride of the encoder (the decoders upsample by it with ×2 pixel shuffles). Official 8. */
    upscale: z.number().int().min(1).default(8),
    /**
     * ReLU after the decoders' last 1×1 conv, so logits are ≥ 0 (official `upsample()`: ReLU in every
     * PixelShuffle block). From scratch, a class whose logits die at 0 can never recover; `false` drops it.
     */
    decoderFinalRelu: z.boolean().default(true),
    /** Auxiliary decoders per perturbation: `vat` 2, `drop` 6, `cutout` 6, `context_masking` 2, `object_masking` 2, `feature_drop` 6, `feature_noise` 6 (30 in all). */
    perturbations: z
      .object({
        vat: count.default(2),
        dropout: count.default(6),
        cutout: count.default(6),
        contextMasking: count.default(2),
        objectMasking: count.default(2),
        featureDrop: count.default(6),
        featureNoise: count.default(6),
      })
      .strict()
      .default({ vat: 2, dropout: 6, cutout: 6, contextMasking: 2, objectMasking: 2, featureDrop: 6, featureNoise: 6 }),
    /** I-VAT: `xi` 1e-6, `eps` 2.0; one power iteration (`it=1` in models/decoders.py). */
    vat: z
      .object({ xi: z.number().positive().default(1e-6), eps: z.number().positive().default(2.0), iterations: z.number().int().min(1).default(1) })
      .strict()
      .default({ xi: 1e-6, eps: 2.0, iterations: 1 }),
    /** DropOut: `drop_rate` 0.5, `spatial` true (Dropout2d). */
    dropout: z.object({ p: z.number().min(0).lt(1).default(0.5), spatial: z.boolean().default(true) }).strict().default({ p: 0.5, spatial: true }),
    /** G-Cutout: `erase` 0.4; `minPixels` replaces the official ">50 contour points" filter (see README). */
    cutout: z
      .object({ erase: z.number().gt(0).lt(1).default(0.4), minPixels: z.number().int().min(1).default(50) })
      .strict()
      .default({ erase: 0.4, minPixels: 50 }),
    /** F-Drop: γ ~ U(0.7, 0.9) (models/decoders.py). */
    featureDrop: z
      .object({ gammaRange: z.tuple([z.number(), z.number()]).default([0.7, 0.9]) })
      .strict()
      .default({ gammaRange: [0.7, 0.9] }),
    /** F-Noise: `uniform_range` 0.3. */
    featureNoise: z.object({ uniformRange: z.number().positive().default(0.3) }).strict().default({ uniformRange: 0.3 }),
    loss: z
      .object({
        /** `sup_loss` "CE"; "abce" = annealed-bootstrapped CE. */
        sup: z.enum(['ce', 'abce']).default('ce'),
        /** `supervised_w` 1. */
        supWeight: z.number().nonnegative().default(1),
        /** `softmax_temp` 1. */
        softmaxTemp: z.number().positive().default(1),
        /** `un_loss` "MSE". */
        unsup: z.enum(['mse', 'kl', 'js']).default('mse'),
        /** `unsupervised_w` 30 (final weight of the ramp). */
        unsupWeight: z.number().nonnegative().default(30),
        /** `ramp_up` 0.1: the ramp lasts int(0.1·epochs) epochs (see `rampUpUnit`). */
        rampUp: z.number().min(0).max(1).default(0.1),
        /**
         * How `rampUp` becomes the ramp length T. 'epochs' (official): T = int(rampUp·epochs)·iters_per_epoch, so with
         * fewer than 10 epochs T = 0 and the unsupervised weight is `unsupWeight` from the first step. 'iterations'
         * (ours): T = round(rampUp·epochs·iters_per_epoch), a ramp over that fraction of the run at any budget.
         */
        rampUpUnit: z.enum(['epochs', 'iterations']).default('epochs'),
        /** `confidence_masking` false, `confidence_th` 0.5. */
        confidenceMasking: z.boolean().default(false),
        confidenceThreshold: z.number().min(0).max(1).default(0.5),
        /** `weakly_loss_w` 0.4. */
        weakWeight: z.number().nonnegative().default(0.4),
      })
      .strict()
      .default({
        sup: 'ce',
        supWeight: 1,
        softmaxTemp: 1,
        unsup: 'mse',
        unsupWeight: 30,
        rampUp: 0.1,
        rampUpUnit: 'epochs',
        confidenceMasking: false,
        confidenceThreshold: 0.5,
        weakWeight: 0.4,
      }),
    optim: z
      .object({
        /** `optimizer.args.lr` 1e-2. */
        lr: z.number().positive().default(1e-2),
        /** `momentum` 0.9. */
        momentum: z.number().min(0).lt(1).default(0.9),
        /** `weight_decay` 1e-4. */
        weightDecay: z.number().min(0).default(1e-4),
        /** Encoder (backbone) learning rate multiplier: `differential_lr` true → lr/10 (base/base_trainer.py). */
        encoderLrScale: z.number().positive().default(0.1),
        /** Poly schedule power 0.9 (utils/lr_scheduler.py). */
        polyPower: z.number().positive().default(0.9),
      })
      .strict()
      .default({ lr: 1e-2, momentum: 0.9, weightDecay: 1e-4, encoderLrScale: 0.1, polyPower: 0.9 }),
    train: z
      .object({
        /** `trainer.epochs` 80. One epoch = one pass over the unlabelled set. */
        epochs: z.number().int().min(1).default(80),
        /** `train_supervised.batch_size` 10. */
        labelledBatchSize: z.number().int().min(1).default(10),
        /** `train_unsupervised.batch_size` 10. */
        unlabelledBatchSize: z.number().int().min(1).default(10),
        /** `val_per_epochs` 5. */
        valEvery: z.number().int().min(1).default(5),
        /** `trainer.early_stop` 10 validations without improvement of mIoU (0 = off). */
        earlyStop: z.number().int().min(0).default(10),
        /** Seed 42 (train.py). */
        seed: z.number().int().default(42),
        /** Use image-level pseudo-labels on the unlabelled stream (`use_weak_lables` false). */
        weakLabels: z.boolean().default(false),
      })
      .strict()
      .default({ epochs: 80, labelledBatchSize: 10, unlabelledBatchSize: 10, valEvery: 5, earlyStop: 10, seed: 42, weakLabels: false }),
    inference: z
      .object({
        /** Inference scales; official inference.py uses [0.5, 0.75, 1, 1.25, 1.5] with flip; validation uses [1]. */
        scales: z.array(z.number().positive()).min(1).default([1]),
        flip: z.boolean().default(false),
      })
      .strict()
      .default({ scales: [1], flip: false }),
  })
  .strict();

/** A validated, fully defaulted configuration. */
export type CctConfig = z.output<typeof CctConfigSchema>;
/** What users write: every field but `numClasses` optional. */
export type CctConfigInput = z.input<typeof CctConfigSchema>;

/**
 * Validate a configuration and fill in the official defaults. Errors name the offending key, e.g. an
 * unknown perturbation: `perturbations: unknown key "gaussian" (expected one of vat, dropout, …)`.
 */
export function parseCctConfig(input: CctConfigInput): CctConfig {
  const r = CctConfigSchema.safeParse(input);
  if (r.success) {
    if (r.data.mode === 'semi' && totalAuxDecoders(r.data) === 0) {
      throw new Error('CCT config: mode "semi" needs at least one auxiliary decoder (every perturbation count is 0)');
    }
    return r.data;
  }
  const lines = r.error.issues.map((i) => {
    const path = i.path.join('.') || '(root)';
    if (i.code === 'unrecognized_keys') {
      const keys = i.keys.map((k) => `"${k}"`).join(', ');
      const hint = path === 'perturbations' ? ` (unknown perturbation; expected one of ${PERTURBATIONS.join(', ')})` : '';
      return `${path}: unknown key ${keys}${hint}`;
    }
    return `${path}: ${i.message}`;
  });
  throw new Error(`CCT config is invalid:\n  ${lines.join('\n  ')}`);
}

/** Total number of auxiliary decoders (30 with the official counts). */
export function totalAuxDecoders(config: Pick<CctConfig, 'perturbations'>): number {
  return PERTURBATIONS.reduce((s, p) => s + config.perturbations[p], 0);
}
