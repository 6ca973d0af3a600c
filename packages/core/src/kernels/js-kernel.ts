import type * as tf from '@tensorflow/tfjs-core';
import type { WasmBackend } from './wasm/backend';

/** A typed array as the backends store tensor values. */
export type Values = Float32Array | Int32Array | Uint8Array;

/** The parts of BackendWasm and MathBackendCPU we use; both are duck-typed so neither package is imported. */
/** The parts of MathBackendCPU LEL's JavaScript kernels use. */
export interface CpuLike {
  data: { get(dataId: tf.DataId): { values: Values } };
  makeTensorInfo(shape: number[], dtype: tf.DataType, values: Values): tf.TensorInfo;
}

/** Whether `b` is tfjs-wasm (duck-typed: the package is an optional peer). */
export function isWasm(b: unknown): b is WasmBackend {
  return typeof (b as WasmBackend).typedArrayFromHeap === 'function';
}

/**
 * The stored values of `t` on the wasm (a heap view: read it before the next allocation) or cpu backend,
 * without a copy; undefined on other backends.
 */
export function backendValues(backend: unknown, t: tf.TensorInfo): Values | undefined {
  if (isWasm(backend)) return backend.typedArrayFromHeap(t);
  const cpu = backend as Partial<CpuLike>;
  return cpu.data?.get(t.dataId)?.values;
}

/**
 * Run a JavaScript kernel body on the wasm or cpu backend without copying inputs: on wasm the output is
 * allocated first and then every view is taken from the heap, because allocating can grow (and so detach)
 * the wasm memory. `body` receives a zero-filled output and the input values.
 */
export function runJsKernel(
  backend: unknown,
  inputs: tf.TensorInfo[],
  outShape: number[],
  outDtype: 'float32' | 'int32',
  body: (out: Float32Array | Int32Array, ...ins: Values[]) => void,
): tf.TensorInfo {
  const size = outShape.reduce((a, b) => a * b, 1);
  if (isWasm(backend)) {
    const out = backend.makeOutput(outShape, outDtype);
    const view = (size === 0 ? (outDtype === 'int32' ? new Int32Array(0) : new Float32Array(0)) : backend.typedArrayFromHeap(out)) as
      | Float32Array
      | Int32Array;
    view.fill(0);
    const ins = inputs.map((t) => backendValues(backend, t)!);
    body(view, ...ins);
    return out;
  }
  const cpu = backend as CpuLike;
  if (typeof cpu.makeTensorInfo !== 'function' || !cpu.data) throw new Error('runJsKernel: only the wasm and cpu backends are supported');
  const out = outDtype === 'int32' ? new Int32Array(size) : new Float32Array(size);
  const ins = inputs.map((t) => backendValues(cpu, t)!);
  body(out, ...ins);
  return cpu.makeTensorInfo(outShape, outDtype, out);
}
