import type { TrainRequest } from './protocol';

/** Widths of the playground's encoder stages (`SmallConvEncoder`), output stride 2. */
export const ENCODER_WIDTHS = [16, 32];

/**
 * The playground's CCT config: the official loss, optimiser and schedule (`@lel/cct` defaults) on a small encoder
 * sized for a page, with fewer auxiliary decoders (each costs a forward pass per step) and a higher learning rate
 * for the short runs. The baseline is the same network and config in `supervised` mode.
 */
export function playgroundConfig(req: Pick<TrainRequest, 'arm' | 'epochs' | 'seed'> & { numClasses: number }) {
  return {
    numClasses: req.numClasses,
    mode: req.arm === 'cct' ? ('semi' as const) : ('supervised' as const),
    upscale: 2,
    perturbations: { vat: 0, dropout: 1, cutout: 0, contextMasking: 0, objectMasking: 0, featureDrop: 1, featureNoise: 1 },
    optim: { lr: 0.05 },
    train: { epochs: req.epochs, labelledBatchSize: 4, unlabelledBatchSize: 8, valEvery: 1, earlyStop: 0, seed: req.seed, weakLabels: false },
  };
}
