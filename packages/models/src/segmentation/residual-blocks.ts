import * as tf from '@tensorflow/tfjs-core';
import { BatchNorm2d, Conv2d, Module, Sequential, relu, scoped, type Rng, type TensorModule } from '@lel/core';

function child(m: Module, name: string): TensorModule {
  for (const [n, c] of m.children()) if (n === name) return c as TensorModule;
  throw new Error(`${m.constructor.name}: no child "${name}"`);
}

function shortcut(inC: number, outC: number, stride: number, rng: Rng | undefined): Sequential | null {
  if (inC === outC && stride === 1) return null;
  return new Sequential([new Conv2d(inC, outC, 1, { stride, bias: false, rng }), new BatchNorm2d(outC)]);
}

/** ResNet basic block: 2 × conv3×3 (dilated) with BN, identity or 1×1 shortcut, ReLU after the sum. */
export class BasicBlock extends Module implements TensorModule {
  static readonly expansion = 1;
  constructor(inC: number, planes: number, stride = 1, dilation = 1, rng?: Rng) {
    super();
    this.registerModule('conv1', new Conv2d(inC, planes, 3, { stride, padding: dilation, dilation, bias: false, rng }));
    this.registerModule('bn1', new BatchNorm2d(planes));
    this.registerModule('conv2', new Conv2d(planes, planes, 3, { padding: dilation, dilation, bias: false, rng }));
    this.registerModule('bn2', new BatchNorm2d(planes));
    const sc = shortcut(inC, planes, stride, rng);
    if (sc) this.registerModule('downsample', sc);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return scoped('BasicBlock', () => {
      let out = relu(child(this, 'bn1').forward(child(this, 'conv1').forward(x)));
      out = child(this, 'bn2').forward(child(this, 'conv2').forward(out));
      const res = this.children().some(([n]) => n === 'downsample') ? child(this, 'downsample').forward(x) : x;
      return relu(tf.add(out, res));
    });
  }
}

/** ResNet bottleneck: 1×1 → 3×3 (strided, dilated) → 1×1 (×4 channels) with BN, shortcut, ReLU after the sum. */
export class Bottleneck extends Module implements TensorModule {
  static readonly expansion = 4;
  constructor(inC: number, planes: number, stride = 1, dilation = 1, rng?: Rng) {
    super();
    const out = planes * Bottleneck.expansion;
    this.registerModule('conv1', new Conv2d(inC, planes, 1, { bias: false, rng }));
    this.registerModule('bn1', new BatchNorm2d(planes));
    this.registerModule('conv2', new Conv2d(planes, planes, 3, { stride, padding: dilation, dilation, bias: false, rng }));
    this.registerModule('bn2', new BatchNorm2d(planes));
    this.registerModule('conv3', new Conv2d(planes, out, 1, { bias: false, rng }));
    this.registerModule('bn3', new BatchNorm2d(out));
    const sc = shortcut(inC, out, stride, rng);
    if (sc) this.registerModule('downsample', sc);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return scoped('Bottleneck', () => {
      let out = relu(child(this, 'bn1').forward(child(this, 'conv1').forward(x)));
      out = relu(child(this, 'bn2').forward(child(this, 'conv2').forward(out)));
      out = child(this, 'bn3').forward(child(this, 'conv3').forward(out));
      const res = this.children().some(([n]) => n === 'downsample') ? child(this, 'downsample').forward(x) : x;
      return relu(tf.add(out, res));
    });
  }
}
