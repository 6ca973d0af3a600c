import type { SclConfigInput } from '@lel/scl';
import type { SclTrainRequest } from './scl-protocol';

/** Classes per evaluation episode. */
export const EVAL_WAYS = 5;
/** Query images per class in an evaluation episode. */
export const EVAL_QUERIES = 10;
/** ResNet-12 stage widths of the page's network (official 64-160-320-640). */
export const SCL_WIDTHS = [16, 32, 48, 64] as const;

/**
 * The SCL demo's config: the official loss (λ_cls = 1, spatial contrastive on with λ_sp = 1 at inverse temperature
 * 10, global contrastive off, as `scripts/run.sh`), optimiser (SGD, momentum 0.9, weight decay 5e-4) and views, on
 * a ResNet-12 sized for a page and 28-pixel glyphs. Arm `ce` is the same with the spatial term off: CE on both views.
 */
export function sclConfig(req: Pick<SclTrainRequest, 'arm' | 'epochs' | 'seed'>): SclConfigInput {
  return {
    channels: [...SCL_WIDTHS],
    featDim: 32,
    dropRate: 0,
    imageSize: 28,
    cropPadding: 3,
    spatialContLoss: req.arm === 'scl',
    globalContLoss: false,
    batchSize: 32,
    lr: 0.05,
    epochs: req.epochs,
    lrMilestones: [],
    seed: req.seed,
  };
}
