// tfjs-core alone registers no gradient functions (the `@tensorflow/tfjs` union package does it). Every
// differentiable layer and loss imports this file so `tf.grad` works with only tfjs-core + a backend.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
import { registerLelKernels } from '../kernels/register';

// The layers call plain tf ops and rely on LEL's kernel-level gradients (wasm Conv2DBackpropFilter and
// UnsortedSegmentSum, the Conv2D/MaxPool/resize gradient fixes), so they are installed with the layers too,
// not only by `@lel/core`'s entry point (idempotent).
registerLelKernels();
