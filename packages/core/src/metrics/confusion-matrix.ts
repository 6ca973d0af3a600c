import * as tf from '@tensorflow/tfjs-core';
import { readAll } from '../tensor-read';

/** Options of {@link ConfusionMatrix}. */
export interface ConfusionMatrixOptions {
  /** Target value to skip (e.g. 255 for unlabelled VOC pixels). Default: none. */
  ignoreIndex?: number;
}

/** Labels for {@link ConfusionMatrix.add}: an int32 tensor of any shape or an array of integers. */
export type LabelInput = tf.Tensor | ArrayLike<number>;

// Added to unions as CCT's `np.spacing(1)`, so an absent class scores 0 instead of NaN.
const EPS = 2.220446049250313e-16;

/**
 * Confusion matrix accumulated over batches, `confusion[gt][pred]` (rows ground truth, columns
 * prediction), with the segmentation metrics of CCT's `eval_metrics`: intersection, union, per-class
 * IoU, mean IoU and pixel accuracy. Pixels whose target equals `ignoreIndex` are skipped; any other
 * target or prediction outside [0, numClasses) is an error.
 */
export class ConfusionMatrix {
  readonly numClasses: number;
  readonly ignoreIndex: number | undefined;
  private readonly counts: Float64Array;
  private valid = 0;

  constructor(numClasses: number, options: ConfusionMatrixOptions = {}) {
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`ConfusionMatrix: numClasses must be a positive integer, got ${numClasses}`);
    this.numClasses = numClasses;
    this.ignoreIndex = options.ignoreIndex;
    this.counts = new Float64Array(numClasses * numClasses);
  }

  /**
   * Accumulate one batch. `pred` and `target` hold class indices and have the same number of elements
   * (tensors: int32, same shape). Arrays are counted at once (returns the matrix). Tensors are not disposed; they are
   * read back asynchronously (one read per batch, so it runs on every backend) and counted like arrays: `await` the
   * returned promise. A bad batch leaves the matrix unchanged.
   */
  add(pred: ArrayLike<number>, target: ArrayLike<number>): this;
  add(pred: tf.Tensor, target: tf.Tensor): Promise<this>;
  add(pred: LabelInput, target: LabelInput): this | Promise<this>;
  add(pred: LabelInput, target: LabelInput): this | Promise<this> {
    if (pred instanceof tf.Tensor || target instanceof tf.Tensor) return this.addTensors(pred, target);
    this.addArrays(pred, target);
    return this;
  }

  private async addTensors(pred: LabelInput, target: LabelInput): Promise<this> {
    if (!(pred instanceof tf.Tensor) || !(target instanceof tf.Tensor)) {
      throw new Error('ConfusionMatrix.add: "pred" and "target" must both be tensors or both be arrays');
    }
    for (const [name, t] of [['pred', pred], ['target', target]] as const) {
      if (t.dtype !== 'int32') throw new Error(`ConfusionMatrix.add: "${name}" must be an int32 tensor of class indices, got ${t.dtype}`);
    }
    if (!tf.util.arraysEqual(pred.shape, target.shape)) {
      throw new Error(`ConfusionMatrix.add: "pred" has shape [${pred.shape}] but "target" has shape [${target.shape}]`);
    }
    // Read back (one asynchronous read of both maps) and count on the host with the array path's checks: exact on
    // every backend (tfjs-webgpu's Bincount miscounted here, measured on lavapipe).
    const [p, t] = await readAll([pred, target]);
    this.addArrays(p!, t!);
    return this;
  }

  private addArrays(pred: ArrayLike<number>, target: ArrayLike<number>): void {
    if (pred.length !== target.length) throw new Error(`ConfusionMatrix.add: "pred" has ${pred.length} values but "target" has ${target.length}`);
    const c = this.numClasses;
    // Validate first, so a bad batch leaves the matrix unchanged.
    for (let i = 0; i < target.length; i++) {
      const t = target[i]!;
      if (t === this.ignoreIndex) continue;
      if (!Number.isInteger(t) || t < 0 || t >= c) throw new Error(`ConfusionMatrix.add: target[${i}] = ${t} is outside [0, ${c}) and not ignoreIndex (${this.ignoreIndex})`);
      const p = pred[i]!;
      if (!Number.isInteger(p) || p < 0 || p >= c) throw new Error(`ConfusionMatrix.add: pred[${i}] = ${p} is outside [0, ${c})`);
    }
    for (let i = 0; i < target.length; i++) {
      const t = target[i]!;
      if (t === this.ignoreIndex) continue;
      const k = t * c + pred[i]!;
      this.counts[k] = this.counts[k]! + 1;
      this.valid++;
    }
  }

  /** Clear all counts. */
  reset(): void {
    this.counts.fill(0);
    this.valid = 0;
  }

  /** `matrix[gt][pred]`, a copy. */
  get matrix(): number[][] {
    const c = this.numClasses;
    return Array.from({ length: c }, (_, i) => Array.from(this.counts.subarray(i * c, (i + 1) * c)));
  }

  /** Number of counted (non-ignored) elements. */
  get numValid(): number {
    return this.valid;
  }

  /** Per-class intersection I_c = confusion[c][c]. */
  intersection(): number[] {
    const c = this.numClasses;
    return Array.from({ length: c }, (_, k) => this.counts[k * c + k]!);
  }

  /** Per-class union U_c = rowSum_c + colSum_c − confusion[c][c]. */
  union(): number[] {
    const c = this.numClasses;
    const out = new Array<number>(c).fill(0);
    for (let i = 0; i < c; i++)
      for (let j = 0; j < c; j++) {
        const v = this.counts[i * c + j]!;
        out[i] = out[i]! + v;
        if (i !== j) out[j] = out[j]! + v;
      }
    return out;
  }

  /** Per-class IoU, I_c / (U_c + eps) (CCT's convention: a class absent from both is 0). */
  perClassIoU(): number[] {
    const u = this.union();
    return this.intersection().map((i, k) => i / (u[k]! + EPS));
  }

  /**
   * Mean IoU. `'all'` (default) averages {@link perClassIoU} over every class, as CCT's `Mean_IoU`;
   * `'present'` averages I_c / U_c over classes with U_c > 0 only (0 when none is).
   */
  miou(mode: 'all' | 'present' = 'all'): number {
    if (mode === 'all') return this.perClassIoU().reduce((s, x) => s + x, 0) / this.numClasses;
    if (mode !== 'present') throw new Error(`ConfusionMatrix.miou: mode must be 'all' or 'present', got ${String(mode)}`);
    const inter = this.intersection();
    let sum = 0;
    let n = 0;
    this.union().forEach((u, k) => {
      if (u > 0) {
        sum += inter[k]! / u;
        n++;
      }
    });
    return n === 0 ? 0 : sum / n;
  }

  /** Σ_c I_c / numValid (0 before any valid element). */
  pixelAccuracy(): number {
    if (this.valid === 0) return 0;
    return this.intersection().reduce((s, x) => s + x, 0) / this.valid;
  }
}
