import * as tf from '@tensorflow/tfjs-core';

/**
 * A 1-D sequence of numbers on the host (any array-like). These metrics are host-side (as sklearn/scipy): a tensor
 * is read first with `await readValues(t)`, since a synchronous read throws on webgpu and stalls every GPU queue.
 */
export type NumericInput = ArrayLike<number>;

/** Host copy of `v` as a plain number array; a tensor is an error that says how to read it. */
export function toNumbers(v: NumericInput, what: string): number[] {
  if ((v as unknown) instanceof tf.Tensor) {
    throw new Error(`${what}: got a tensor; these metrics take host values: read it first with \`await readValues(t)\` (@lel/core)`);
  }
  if (v === null || typeof v !== 'object' || typeof (v as ArrayLike<number>).length !== 'number') {
    throw new Error(`${what}: expected a tensor or an array of numbers`);
  }
  return Array.from(v);
}

/** Two non-empty inputs of equal length, as number arrays; the error names `fn` and the arguments. */
export function pairOfNumbers(fn: string, a: NumericInput, b: NumericInput, names: [string, string]): [number[], number[]] {
  const x = toNumbers(a, `${fn}(${names[0]})`);
  const y = toNumbers(b, `${fn}(${names[1]})`);
  if (x.length === 0) throw new Error(`${fn}: "${names[0]}" is empty`);
  if (x.length !== y.length) throw new Error(`${fn}: "${names[0]}" has ${x.length} values but "${names[1]}" has ${y.length}`);
  return [x, y];
}

/** Checks that every value of a label array is 0 or 1. */
export function checkBinary(fn: string, v: number[], name: string): void {
  const i = v.findIndex((x) => x !== 0 && x !== 1);
  if (i >= 0) throw new Error(`${fn}: "${name}"[${i}] = ${v[i]} is not a binary label (0 or 1)`);
}
