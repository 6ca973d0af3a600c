import * as tf from '@tensorflow/tfjs-core';
import type { GpuDevice, GpuError, WebGPUBackendLike } from './gpu-types';

/**
 * A GPU device error (validation, out of memory, internal, device lost, or a buffer over the device's
 * binding limit) turned into a thrown error that names the tfjs kernel and the shapes it ran on.
 * WebGPU reports most device errors asynchronously and otherwise carries on with zeroed results; LEL
 * raises them on the next read of any tensor instead.
 */
export class WebGPUDeviceError extends Error {
  constructor(
    message: string,
    /** `validation`, `out-of-memory`, `internal`, `device-lost` or `binding-size`. */
    readonly kind: string,
    /** The tfjs kernel (e.g. `Conv2DBackpropFilter`), or LEL's kernel name. */
    readonly kernel: string,
    /** `dtype[shape]` of the kernel's inputs, then `→ dtype[shape]` of its output(s). */
    readonly shapes: string,
  ) {
    super(message);
    this.name = 'WebGPUDeviceError';
  }
}

/** What was running when an error was raised: the tfjs kernel and its inputs. */
interface KernelContext {
  kernel: string;
  inputs: tf.TensorInfo[];
}

interface Watch {
  device: GpuDevice;
  pending: Set<Promise<void>>;
  errors: WebGPUDeviceError[];
  stack: KernelContext[];
  last: { kernel: string; shapes: string } | undefined;
  /** Kernels recorded since the last queue submission (errors of a submission name them). */
  batch: string[];
  scopes: boolean;
}

const watches = new WeakMap<object, Watch>();
const WRAPPED = Symbol.for('lel.webgpu.kernelContext');
const INNER = Symbol.for('lel.webgpu.inner');

const BYTES: Partial<Record<tf.DataType, number>> = { float32: 4, int32: 4, bool: 4, complex64: 8 };

function describeTensor(t: { dtype: tf.DataType; shape: number[] }): string {
  return `${t.dtype}[${t.shape.join(',')}]`;
}

function describe(inputs: readonly { dtype: tf.DataType; shape: number[] }[], outputs: readonly { dtype: tf.DataType; shape: number[] }[]): string {
  return `${inputs.map(describeTensor).join(', ') || '(no inputs)'} → ${outputs.map(describeTensor).join(', ')}`;
}

function bytesOf(t: { dtype: tf.DataType; shape: number[] }): number {
  return (BYTES[t.dtype] ?? 4) * t.shape.reduce((a, b) => a * b, 1);
}

/** The tfjs kernel now running on the webgpu backend (innermost), for error messages. */
function currentKernel(watch: Watch, fallback: string): KernelContext {
  return watch.stack[watch.stack.length - 1] ?? { kernel: fallback, inputs: [] };
}

/**
 * Throw (synchronously, before anything is dispatched) when a tensor a GPU program binds is larger than the
 * device's `maxStorageBufferBindingSize`: WebGPU would reject the binding asynchronously and the kernel's
 * output would silently stay zero.
 */
export function checkBindingSizes(backend: WebGPUBackendLike, program: string, tensors: readonly { dtype: tf.DataType; shape: number[] }[], outputs: readonly { dtype: tf.DataType; shape: number[] }[]): void {
  const limit = backend.device.limits.maxStorageBufferBindingSize;
  for (const t of [...tensors, ...outputs]) {
    const bytes = bytesOf(t);
    if (bytes > limit) {
      const watch = watches.get(backend);
      const ctx = watch ? currentKernel(watch, program) : { kernel: program, inputs: [] };
      const shapes = describe(tensors, outputs);
      throw new WebGPUDeviceError(
        `WebGPU: kernel ${ctx.kernel} (program ${program}; ${shapes}) binds ${describeTensor(t)} = ${bytes} bytes, ` +
          `over this device's maxStorageBufferBindingSize of ${limit} bytes. ` +
          'Use a smaller batch or input size on this device (the GPU would otherwise return zeros).',
        'binding-size',
        ctx.kernel,
        shapes,
      );
    }
  }
}

function errorKind(e: GpuError): string {
  const n = e.constructor?.name ?? '';
  if (/OutOfMemory/i.test(n)) return 'out-of-memory';
  if (/Internal/i.test(n)) return 'internal';
  return 'validation';
}

function record(watch: Watch, e: GpuError, kernel: string, shapes: string, program: string): void {
  const kind = errorKind(e);
  watch.errors.push(
    new WebGPUDeviceError(`WebGPU ${kind} error in kernel ${kernel} (program ${program}${shapes ? `; ${shapes}` : ''}): ${e.message.trim()}`, kind, kernel, shapes),
  );
}

/** Pop the two scopes pushed by {@link pushScopes}; errors are recorded with `kernel` and `shapes()`. */
function popScopes(watch: Watch, kernel: string, shapes: () => string, program: string): void {
  for (let i = 0; i < 2; i++) {
    const p: Promise<void> = watch.device.popErrorScope().then(
      (e) => {
        if (e) record(watch, e, kernel, shapes(), program);
        watch.pending.delete(p);
      },
      (e: unknown) => {
        watch.errors.push(new WebGPUDeviceError(`WebGPU: error scope of kernel ${kernel} failed: ${String(e)}`, 'internal', kernel, shapes()));
        watch.pending.delete(p);
      },
    );
    watch.pending.add(p);
  }
}

function pushScopes(watch: Watch): void {
  watch.device.pushErrorScope('out-of-memory');
  watch.device.pushErrorScope('validation');
}

/**
 * Run `fn` (which records GPU work for one program) inside validation and out-of-memory error scopes; errors
 * the device reports later are kept, with the kernel and shapes, and thrown by the next read.
 */
export function withDeviceErrorScopes<T>(backend: WebGPUBackendLike, program: string, inputs: readonly tf.TensorInfo[], outputs: () => readonly { dtype: tf.DataType; shape: number[] }[], fn: () => T): T {
  const watch = watches.get(backend);
  if (!watch) return fn();
  const ctx = currentKernel(watch, program);
  let shapes = '';
  const shapesNow = () => (shapes ||= describe(ctx.inputs.length ? ctx.inputs : inputs, outputs()));
  if (!watch.scopes) {
    const out = fn();
    watch.last = { kernel: ctx.kernel, shapes: shapesNow() };
    return out;
  }
  pushScopes(watch);
  try {
    return fn();
  } finally {
    watch.last = { kernel: ctx.kernel, shapes: shapesNow() };
    watch.batch.push(ctx.kernel);
    popScopes(watch, ctx.kernel, shapesNow, program);
  }
}

/**
 * Throw the first device error reported so far (after the device has answered every open error scope),
 * and forget them all. Called by every read of the webgpu backend; call it directly after work whose
 * results are not read.
 */
export async function throwPendingDeviceErrors(backend: unknown): Promise<void> {
  const watch = watches.get(backend as object);
  if (!watch) return;
  while (watch.pending.size > 0) await Promise.all([...watch.pending]);
  if (watch.errors.length === 0) return;
  // Submit what is still encoded (it may hold the failed work) so its consequences are reported now, with it.
  const b = backend as WebGPUBackendLike;
  if (b.commandEncoder) {
    b.endComputePassEncoder();
    b.submitQueue();
    while (watch.pending.size > 0) await Promise.all([...watch.pending]);
  }
  // Later errors are usually consequences of the first ("… is invalid due to a previous error").
  const [first, ...rest] = watch.errors;
  watch.errors = [];
  if (rest.length > 0) first!.message += ` (and ${rest.length} later device error${rest.length > 1 ? 's' : ''})`;
  throw first;
}

/**
 * Watch a tfjs WebGPU backend for device errors: size-check every binding, scope every program, name the
 * kernel, and make reads throw. `scopes: false` keeps only the binding checks, uncaptured errors and device loss
 * (error scopes cost a little host time per dispatch).
 */
export function watchDeviceErrors(backend: WebGPUBackendLike, options: { scopes?: boolean } = {}): void {
  if (watches.has(backend)) return;
  const device = backend.device;
  const watch: Watch = { device, pending: new Set(), errors: [], stack: [], last: undefined, batch: [], scopes: options.scopes ?? true };
  watches.set(backend, watch);
  device.addEventListener('uncapturederror', (ev) => {
    const last = watch.last ?? { kernel: '(unknown)', shapes: '' };
    record(watch, ev.error, `${last.kernel} (or a kernel after it)`, last.shapes, 'uncaptured');
  });
  void device.lost.then((info) => {
    if (info.reason === 'destroyed') return;
    const last = watch.last ?? { kernel: '(unknown)', shapes: '' };
    watch.errors.push(new WebGPUDeviceError(`WebGPU device lost (${info.reason}) after kernel ${last.kernel} (${last.shapes}): ${info.message}`, 'device-lost', last.kernel, last.shapes));
  });

  const run = backend.runWebGPUProgram.bind(backend);
  backend.runWebGPUProgram = (program, inputs, dtype, uniforms, output) => {
    const name = program.constructor.name;
    const out = [{ dtype, shape: output?.shape ?? program.outputShape }];
    checkBindingSizes(backend, name, inputs, out);
    return withDeviceErrorScopes(backend, name, inputs, () => out, () => run(program, inputs, dtype, uniforms, output));
  };
  // Encoding errors surface when the command buffer is finished at submission: scope that too.
  const submit = backend.submitQueue.bind(backend);
  backend.submitQueue = () => {
    const kernels = watch.batch.splice(0);
    if (!watch.scopes) return submit();
    pushScopes(watch);
    try {
      submit();
    } finally {
      const names = [...new Set(kernels)];
      popScopes(watch, `(a submission of ${kernels.length} dispatches: ${names.slice(0, 8).join(', ')}${names.length > 8 ? ', …' : ''})`, () => '', 'submit');
    }
  };
  const read = backend.read.bind(backend);
  backend.read = async (dataId) => {
    await throwPendingDeviceErrors(backend);
    const values = await read(dataId);
    await throwPendingDeviceErrors(backend);
    return values;
  };
  nameWebGPUKernels();
}

/**
 * Wrap every kernel registered for `webgpu` (once each) so device errors can name the tfjs kernel and its
 * input shapes, not only the GPU program. Call again after registering more webgpu kernels.
 */
export function nameWebGPUKernels(): void {
  for (const config of tf.getKernelsForBackend('webgpu')) {
    const f = config.kernelFunc as tf.KernelFunc & { [WRAPPED]?: true };
    if (f[WRAPPED]) continue;
    const wrapped: tf.KernelFunc & { [WRAPPED]?: true; [INNER]?: tf.KernelFunc } = (args) => {
      const watch = watches.get(args.backend as object);
      if (!watch) return f(args);
      watch.stack.push({ kernel: config.kernelName, inputs: Object.values(args.inputs).filter((t): t is tf.TensorInfo => t != null) });
      try {
        return f(args);
      } finally {
        watch.stack.pop();
      }
    };
    wrapped[WRAPPED] = true;
    wrapped[INNER] = f;
    tf.unregisterKernel(config.kernelName, 'webgpu');
    tf.registerKernel({ ...config, kernelFunc: wrapped });
  }
}
