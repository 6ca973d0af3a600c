import { z } from 'zod';

/**
 * Options of the VIBERT head and its fine-tuning recipe. Defaults come from the official code
 * (`rabeehk/vibert`): `run_glue.py` argparse defaults, overridden where `sample_commands/vibert.sh` sets a value
 * (noted per option).
 */
export const VibConfigSchema = z
  .object({
    /** K, size of the bottleneck z. argparse default 128; vibert.sh uses 384. */
    ibDim: z.number().int().positive().default(128),
    /** β, weight of the KL term. argparse default 1.0; vibert.sh uses 1e-5 (our default, as the published runs). */
    beta: z.number().nonnegative().default(1e-5),
    /** `--kl_annealing`: 'linear' gives β_eff = min(1, epoch·β) with a 1-based epoch. vibert.sh: linear. */
    klAnnealing: z.enum(['linear', 'none']).default('linear'),
    /** S, samples of z per input in training (`--sample_size`, default 5). */
    sampleSize: z.number().int().positive().default(5),
    /** MLP activation (`--activation`, default relu). */
    activation: z.enum(['relu', 'tanh', 'sigmoid']).default('relu'),
    /** Dropout on the pooled encoder output before the MLP (BERT's hidden_dropout_prob, 0.1). */
    dropout: z.number().min(0).max(1).default(0.1),
    /**
     * Std of the head's initial dense weights: 0.02 (`init_weights` of the official BertPreTrainedModel); null keeps
     * PyTorch's nn.Linear default, better for narrow heads on small encoders.
     */
    headInitStd: z.number().positive().nullable().default(0.02),
    /** `--deterministic`: the β = 0 ablation (MLP and μ kept, no sampling, no KL). Default false. */
    deterministic: z.boolean().default(false),
    /** 'classification' (CE) or 'regression' (MSE, numLabels = 1), as `num_labels == 1` in the official code. */
    task: z.enum(['classification', 'regression']).default('classification'),
    /** AdamW learning rate (2e-5 in run_glue.py and vibert.sh). */
    lr: z.number().positive().default(2e-5),
    /** AdamW weight decay (run_glue.py default 0). */
    weightDecay: z.number().nonnegative().default(0),
    /** Linear-schedule warm-up steps (run_glue.py default 0). */
    warmupSteps: z.number().int().nonnegative().default(0),
    /** Gradient clipping norm (run_glue.py default 1.0). */
    gradClipNorm: z.number().positive().default(1.0),
    /** Training epochs (argparse default 3; vibert.sh uses 25). */
    epochs: z.number().int().positive().default(25),
    /** Per-device train batch size (vibert.sh: 8). */
    batchSize: z.number().int().positive().default(8),
    /** Maximum tokens per sequence (`--max_seq_length`, 128). */
    maxLength: z.number().int().positive().default(128),
    seed: z.number().int().default(42),
  })
  .strict();

/** Resolved VIBERT config. */
export type VibConfig = z.infer<typeof VibConfigSchema>;

/**
 * Options of the Bernoulli-mask information bottleneck for MIL (Li et al., CVPR 2023). Defaults from the official
 * code (`invoker-LL/WSI-finetuning`: `models/vib_clam_wsi.py`, `utils/core_utils.py`, `train_stage1.py`,
 * `vib_train.sh`).
 */
export const MilIbConfigSchema = z
  .object({
    /** Instance feature size (1024: ResNet-50 patch features in the official pipeline). */
    inputDim: z.number().int().positive().default(1024),
    /** Width after the first projection (CLAM "small": 512). */
    hiddenDim: z.number().int().positive().default(512),
    /** Gated-attention width D (CLAM "small": 256; "big": 384). */
    attentionDim: z.number().int().positive().default(256),
    /** Number of bag classes (binary in the official WSI tasks). */
    numClasses: z.number().int().min(2).default(2),
    /** Dropout after the projection (vib_clam_wsi.py: 0.25). */
    dropout: z.number().min(0).max(1).default(0.25),
    /** Relaxed-Bernoulli temperature (0.1 in vib_clam_wsi.py). */
    temperature: z.number().positive().default(0.1),
    /** Relaxed-Bernoulli samples averaged per instance in training (10 in vib_clam_wsi.py). */
    numSamples: z.number().int().positive().default(10),
    /** Keep-rate target of the info loss and the mask's normaliser 1 + threshold (0.1 in vib_clam_wsi.py). */
    threshold: z.number().min(0).max(1).default(0.1),
    /** Instances kept at test time (top-k by gate score; k = min(topK, N); 1024 in vib_clam_wsi.py). */
    topK: z.number().int().positive().default(1024),
    /** Weight of the bag CE (`bag_weight`, forced to 0.7 in train_stage1.py). */
    bagWeight: z.number().nonnegative().default(0.7),
    /** Weight of the info loss (0.1 in core_utils.py). */
    infoWeight: z.number().nonnegative().default(0.1),
    /** Use the information bottleneck; false gives plain CLAM-SB (the "without IB" baseline). */
    useIb: z.boolean().default(true),
    /** Adam learning rate (vib_train.sh: 1e-4). */
    lr: z.number().positive().default(1e-4),
    /** Adam (coupled L2) weight decay (CLAM default `--reg` 1e-4). */
    weightDecay: z.number().nonnegative().default(1e-4),
    /** Epochs (vib_train.sh: 50; one bag per step as CLAM). */
    epochs: z.number().int().positive().default(50),
    seed: z.number().int().default(1),
  })
  .strict();

/** Resolved Bernoulli-mask MIL config. */
export type MilIbConfig = z.infer<typeof MilIbConfigSchema>;
