// tfjs-core alone registers no gradient functions (the `@tensorflow/tfjs` union package does it). Every
// differentiable layer and loss imports this file so `tf.grad` works with only tfjs-core + a backend.
import '@tensorflow/tfjs-core/dist/register_all_gradients';
