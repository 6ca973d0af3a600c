import * as tf from '@tensorflow/tfjs-core';

/** Plain Adam (PyTorch's defaults, lr 1e-3) over a list of variables, for the benchmarks. */
export class BenchAdam {
  private m: tf.Variable[];
  private v: tf.Variable[];
  private t = 0;
  constructor(
    private readonly params: tf.Variable[],
    private readonly lr = 1e-3,
    private readonly b1 = 0.9,
    private readonly b2 = 0.999,
    private readonly eps = 1e-8,
  ) {
    this.m = params.map((p) => tf.variable(tf.zerosLike(p)));
    this.v = params.map((p) => tf.variable(tf.zerosLike(p)));
  }

  /** Apply gradients (same order as the params). */
  step(grads: tf.Tensor[]): void {
    this.t++;
    const c1 = 1 - this.b1 ** this.t;
    const c2 = 1 - this.b2 ** this.t;
    tf.tidy(() => {
      grads.forEach((g, i) => {
        const m = this.m[i]!;
        const v = this.v[i]!;
        m.assign(tf.add(tf.mul(m, this.b1), tf.mul(g, 1 - this.b1)));
        v.assign(tf.add(tf.mul(v, this.b2), tf.mul(tf.square(g), 1 - this.b2)));
        const upd = tf.div(tf.mul(m, this.lr / c1), tf.add(tf.sqrt(tf.div(v, c2)), this.eps));
        this.params[i]!.assign(tf.sub(this.params[i]!, upd));
      });
    });
  }

  dispose(): void {
    tf.dispose([...this.m, ...this.v]);
  }
}
