// À la carte CI check: the packed @lel/peft alone, one tiny forward/loss through its public exports.
// `mod` is the imported package, `tf` is tfjs-core with the cpu backend active.
let tf;
export async function smoke(mod, tfCore) {
  tf = tfCore;
  const { Linear, Module } = await import('@lel/core');
  class Tiny extends Module {
    constructor() {
      super();
      this.registerModule('query', new Linear(4, 4));
      this.registerModule('classifier', new Linear(4, 2));
    }
    forward(x) {
      const c = (n) => this.children().find(([k]) => k === n)[1];
      return tf.tidy(() => c('classifier').forward(c('query').forward(x)));
    }
  }
  const model = new Tiny();
  const peft = mod.applyPeft(model, { method: 'krona', targetModules: ['query'], zeroFactor: 'B', seed: 0 });
  const x = tf.ones([3, 4]);
  const y = model.forward(x);
  if (y.shape.join(',') !== '3,2') throw new Error(`smoke: unexpected output shape [${y.shape}]`);
  const counts = peft.countParameters();
  if (!(counts.trainable > 0 && counts.trainable < counts.all)) throw new Error('smoke: bad parameter counts');
  const a = tf.ones([4, 2]);
  const b = tf.ones([2, 4]);
  const delta = mod.loraDelta(x, a, b, 0.5);
  tf.dispose([x, y, a, b, delta]);
  peft.unload();
  model.dispose();
}
