import * as tf from '@tensorflow/tfjs-core';
import { readValues } from '@lel/core';
import { assertOrdering, visitRank } from './orderings';

/**
 * The input pixels on which output pixel (row, col) of `fn` depends: a [H, W] 0/1 map of nonzero gradient of
 * Σ_c out[0, row, col, c] with respect to the input. `fn` maps NHWC [1, H, W, C] to [1, H, W, C'] (layers with their
 * ordering bound). The gradient is taken at `x` (default: uniform noise from a fixed seed, so no ReLU is dead
 * everywhere by accident). The map is read back asynchronously.
 */
export async function receptiveField(fn: (x: tf.Tensor4D) => tf.Tensor, shape: [number, number, number], row: number, col: number, x?: tf.Tensor4D): Promise<Uint8Array> {
  const [h, w, c] = shape;
  if (!Number.isInteger(row) || row < 0 || row >= h || !Number.isInteger(col) || col < 0 || col >= w) {
    throw new Error(`receptiveField: (row, col) = (${row}, ${col}) is outside the ${h} × ${w} map`);
  }
  const g = tf.tidy(() => {
    const input = x ?? tf.randomUniform([1, h, w, c], 0.5, 1.5, 'float32', 7);
    const grad = tf.grad((inp: tf.Tensor) => {
      const out = fn(inp as tf.Tensor4D);
      return tf.sum(tf.slice(out, [0, row, col, 0], [1, 1, 1, out.shape[3]!]));
    })(input);
    return tf.sum(tf.abs(grad), [0, 3]);
  });
  const data = await readValues(g, { dispose: true });
  return Uint8Array.from(data, (v) => (v !== 0 ? 1 : 0));
}

/**
 * Pixels of `field` (a [H, W] 0/1 map, row-major) that come strictly later than (row, col) in ordering `o` — the
 * causality violations. Empty for a correctly masked network.
 */
export function causalityViolations(field: ArrayLike<number>, height: number, width: number, row: number, col: number, o: number): [number, number][] {
  assertOrdering('causalityViolations', o);
  if (field.length !== height * width) throw new Error(`causalityViolations: field has ${field.length} entries, expected ${height} × ${width}`);
  if (o === 0) return [];
  const rank = visitRank(height, width, o);
  const own = rank[row * width + col]!;
  const bad: [number, number][] = [];
  for (let i = 0; i < field.length; i++) if (field[i] && rank[i]! > own) bad.push([Math.floor(i / width), i % width]);
  return bad;
}
