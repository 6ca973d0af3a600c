// Barrel of kernels: explicit named exports only.
export { registerLelKernels } from './register';
export type { LelKernelRegistry } from './register';
