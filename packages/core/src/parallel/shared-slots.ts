// The shared memory of DataParallel.step: gradient slots, a barrier, and the fixed-order average.
import type { SharedSlots } from './protocol';

/** Control block layout (Int32 indices). */
const COUNT = 0;
const GENERATION = 1;
const ERROR = 2;
/** Int32 slots of the control block. */
export const CONTROL_INTS = 4;

/** Allocate the shared slots of `workers` replicas with `total` gradient floats each. */
export function allocateSlots(workers: number, total: number): Omit<SharedSlots, 'index'> {
  return {
    workers,
    total,
    grads: new SharedArrayBuffer(workers * total * Float32Array.BYTES_PER_ELEMENT),
    control: new SharedArrayBuffer(CONTROL_INTS * Int32Array.BYTES_PER_ELEMENT),
  };
}

/** Worker `i`'s gradient slot. */
export function slotView(s: Omit<SharedSlots, 'index'>, i: number): Float32Array {
  return new Float32Array(s.grads, i * s.total * Float32Array.BYTES_PER_ELEMENT, s.total);
}

/**
 * Block until all `workers` threads have arrived (a generation-counting barrier on the control block).
 * Returns whether any of them raised the error flag (`failed`) in this round. The flag stays set until
 * the coordinator clears it with {@link clearError} once every worker has replied.
 */
export function barrier(control: Int32Array, workers: number, failed: boolean): boolean {
  if (failed) Atomics.store(control, ERROR, 1);
  const gen = Atomics.load(control, GENERATION);
  if (Atomics.add(control, COUNT, 1) === workers - 1) {
    Atomics.store(control, COUNT, 0);
    Atomics.add(control, GENERATION, 1);
    Atomics.notify(control, GENERATION);
  } else {
    while (Atomics.load(control, GENERATION) === gen) Atomics.wait(control, GENERATION, gen);
  }
  return Atomics.load(control, ERROR) !== 0;
}

/** Clear the error flag (the coordinator does it between steps, when no worker is inside a barrier). */
export function clearError(control: Int32Array): void {
  Atomics.store(control, ERROR, 0);
}

/**
 * `out[j] = Σ_i weights[i] · slots[i][j]`, accumulated in float64 in worker order and rounded once to
 * float32: every replica computes the same bits, and the same as `DataParallel.gradients`' average.
 */
export function weightedAverage(slots: Float32Array[], weights: number[], out: Float32Array): void {
  const n = out.length;
  if (slots.length === 2) {
    // The common two-worker case without the inner loop.
    const [a, b] = slots as [Float32Array, Float32Array];
    const [wa, wb] = weights as [number, number];
    for (let j = 0; j < n; j++) out[j] = wa * a[j]! + wb * b[j]!;
    return;
  }
  for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let i = 0; i < slots.length; i++) acc += weights[i]! * slots[i]![j]!;
    out[j] = acc;
  }
}
