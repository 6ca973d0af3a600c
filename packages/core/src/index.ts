// @lel/core — explicit named exports (no `export *`).
export { initBackend, installedBackends, useBackend, BACKEND_PREFERENCE } from './backend';
export type { BackendName, BackendInfo, InitBackendOptions } from './backend';
export { Parameter } from './module/parameter';
export { Module, ModuleList, Sequential, toNamePredicate, formatLoadReport } from './module/module';
export type { NameMatcher, ParameterCounts, LoadReport, TensorModule } from './module/module';
export { Rng, setGlobalSeed, globalRng } from './random/rng';
export type { RngState } from './random/rng';
export { scoped } from './scope';
export { Optimizer } from './optim/optimizer';
export type { NamedParameter, ParamGroup } from './optim/optimizer';

// Each block below re-exports one area's barrel with explicit names. Edit only your own block.
// <layers>
// </layers>
// <losses>
// </losses>
// <metrics>
// </metrics>
// <optim>
// </optim>
// <io>
// </io>
// <train>
// </train>
// <kernels>
// </kernels>
