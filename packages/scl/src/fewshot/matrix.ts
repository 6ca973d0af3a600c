import * as tf from '@tensorflow/tfjs-core';

/**
 * A row-major feature matrix on the host: flat data with its shape ([rows, cols]). The few-shot classifiers run on the
 * host; a tensor is read first (`{ data: await readValues(t), shape: t.shape }`), never synchronously.
 */
export type FeatureMatrix = { data: ArrayLike<number>; shape: readonly number[] };

function refuseTensor(fn: string, name: string, v: unknown): void {
  if (v instanceof tf.Tensor) throw new Error(`${fn}: ${name} is a tensor; these classifiers run on the host: read it first with \`await readValues(t)\` (@lel/core)`);
}

/** Rows of a feature matrix as float64 arrays (host memory; few-shot sets are small). */
export function toRows(fn: string, name: string, m: FeatureMatrix): Float64Array[] {
  refuseTensor(fn, name, m);
  const shape = m.shape;
  if (shape.length !== 2) throw new Error(`${fn}: ${name} must be a matrix [rows, features], got shape [${shape}]`);
  const [n, d] = shape as [number, number];
  const data = m.data;
  if (data.length !== n * d) throw new Error(`${fn}: ${name} has ${data.length} values, shape [${shape}] needs ${n * d}`);
  const rows: Float64Array[] = [];
  for (let i = 0; i < n; i++) {
    const r = new Float64Array(d);
    for (let j = 0; j < d; j++) {
      const v = Number(data[i * d + j]);
      if (!Number.isFinite(v)) throw new Error(`${fn}: ${name}[${i}, ${j}] = ${v} is not finite`);
      r[j] = v;
    }
    rows.push(r);
  }
  return rows;
}

/** Integer labels from a host array (a tensor is an error that says how to read it). */
export function toLabels(fn: string, name: string, labels: ArrayLike<number>, n: number): number[] {
  refuseTensor(fn, name, labels);
  const data = labels;
  if (data.length !== n) throw new Error(`${fn}: ${name} has ${data.length} entries for ${n} feature rows`);
  const out = Array.from(data as ArrayLike<number>, Number);
  const bad = out.findIndex((v) => !Number.isInteger(v));
  if (bad >= 0) throw new Error(`${fn}: ${name}[${bad}] = ${out[bad]} is not an integer label`);
  return out;
}

/** x / ‖x‖₂ (a zero row stays zero). */
export function normalizeRow(r: Float64Array): Float64Array {
  let s = 0;
  for (let j = 0; j < r.length; j++) s += r[j]! * r[j]!;
  const inv = s > 0 ? 1 / Math.sqrt(s) : 0;
  return r.map((v) => v * inv);
}

export function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let j = 0; j < a.length; j++) s += a[j]! * b[j]!;
  return s;
}
