// Barrel of method: explicit named exports only.
export { defineMethod } from './define-method';
export type { AnyMethod, Method, MethodConfig, MethodConfigInput, MethodData, MethodDefinition, MethodParts, Metrics } from './define-method';
export { runMethod } from './run-method';
export type { MethodRun, MethodRunOptions } from './run-method';
