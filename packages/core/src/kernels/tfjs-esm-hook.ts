// tfjs-core 4.22 registers no gradients by itself: `@tensorflow/tfjs-core/dist/register_all_gradients` does,
// but it is extension-less ESM that plain Node (and tsx) cannot resolve. The hook lives in
// `@lel/core/node-hook` (node-hook.mjs) so users can `--import` it; benches and workers call it from here.
export { installTfjsEsmHook } from '../../node-hook.mjs';
