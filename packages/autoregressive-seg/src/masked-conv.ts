import * as tf from '@tensorflow/tfjs-core';
import { Module, conv2d, scoped, uniformInit, xavierNormal, type Parameter, type Rng } from '@lel/core';
import { assertOrdering, orderingKernelMask, type Ordering } from './orderings';

/** The [k, k, 1, 1] float mask of an ordering, broadcast over the kernel's (in, out) channels. */
function maskTensor(k: number, o: Ordering): tf.Tensor4D {
  const { mask } = orderingKernelMask(k, o);
  return tf.tensor4d(mask.flat(), [k, k, 1, 1], 'float32');
}

/**
 * Shifted masked convolution (Ouali et al., ECCV 2020, footnote 2): zero-pad NHWC `x` by ordering `o`'s
 * (top, bottom, left, right) padding, then a 'valid' cross-correlation with `kernel ⊙ mask` (+ bias), so the output
 * has the input's H × W and pixel (i, j) depends only on itself and pixels earlier in the ordering. Ordering 0 is a
 * plain 'same' conv. `kernel` is [k, k, in, out] (k odd); the mask is applied in the forward pass, so masked taps get
 * zero gradient.
 */
export function maskedConv2d(x: tf.Tensor, kernel: tf.Tensor, bias: tf.Tensor | null, o: number): tf.Tensor4D {
  assertOrdering('maskedConv2d', o);
  if (x.rank !== 4) throw new Error(`maskedConv2d: x must be NHWC [N, H, W, C], got shape [${x.shape}]`);
  if (kernel.rank !== 4 || kernel.shape[0] !== kernel.shape[1]) {
    throw new Error(`maskedConv2d: kernel must be square [k, k, in, out], got shape [${kernel.shape}]`);
  }
  if (kernel.shape[2] !== x.shape[3]) throw new Error(`maskedConv2d: kernel has ${kernel.shape[2]} input channels, x has ${x.shape[3]}`);
  const k = kernel.shape[0]!;
  return scoped('maskedConv2d', () => {
    const { padding } = orderingKernelMask(k, o);
    const [t, b, l, r] = padding;
    const xp = tf.pad(x, [[0, 0], [t, b], [l, r], [0, 0]]);
    const w = o === 0 ? kernel : tf.mul(kernel, maskTensor(k, o));
    return conv2d(xp, w, bias, { padding: 0 });
  });
}

/** Options of {@link MaskedConv2d}. */
export interface MaskedConv2dOptions {
  bias?: boolean;
  rng?: Rng;
}

/**
 * A k × k masked convolution layer whose mask and padding follow the ordering passed to `forward` (one set of
 * weights shared by all 9 orderings). Weight [k, k, in, out] Xavier-normal as the re-implementation's `init_weights`
 * [model/model.py]; bias U(±1/√fanIn) (PyTorch's default).
 */
export class MaskedConv2d extends Module {
  readonly weight: Parameter;
  readonly bias: Parameter | null;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    readonly kernelSize = 3,
    options: MaskedConv2dOptions = {},
  ) {
    super();
    if (!Number.isInteger(kernelSize) || kernelSize < 1 || kernelSize % 2 === 0) {
      throw new Error(`MaskedConv2d: kernelSize must be an odd positive integer (3, 5, 7), got ${kernelSize}`);
    }
    const shape = [kernelSize, kernelSize, inChannels, outChannels];
    this.weight = this.registerParameter('weight', xavierNormal(shape, { rng: options.rng }));
    const bound = 1 / Math.sqrt(inChannels * kernelSize * kernelSize);
    this.bias = options.bias ?? true ? this.registerParameter('bias', uniformInit([outChannels], -bound, bound, options.rng)) : null;
  }

  /** x [N, H, W, in] → [N, H, W, out] under ordering `o` (0 = unmasked). */
  forward(x: tf.Tensor, o: number): tf.Tensor4D {
    return maskedConv2d(x, this.weight.variable, this.bias?.variable ?? null, o);
  }
}
