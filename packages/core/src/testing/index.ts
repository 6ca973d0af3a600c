export { describeGolden, loadGoldenFile, compareClose, isGoldenTensor, GoldenContext } from './golden';
export type { GoldenCase, GoldenFile, GoldenTensor, GoldenValue, GoldenHandler, DescribeGoldenOptions } from './golden';
export { testBackends } from './backends';
export { expectNoLeaks, expectFlatMemory } from './leaks';
export { gradCheck } from './gradcheck';
export type { GradCheckOptions } from './gradcheck';
export { describeMethodMatrix } from './method-matrix';
export type { MethodCase, MethodSetup } from './method-matrix';
