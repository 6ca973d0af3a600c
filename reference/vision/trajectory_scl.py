#!/usr/bin/env python3
"""SCL (CE + SC) trajectory fixture for @lel/scl's trajectory.test.ts: `trainScl` with `batches` (two views per image
made by rolling it, given per step, so no augmentation code is involved), a tiny ResNet-12 (widths [8, 8, 16, 16], C' = 16, on
32 x 32 RGB glyph-like images, 2 x 2 maps), DropBlock/dropout off, SGD (momentum 0.9, weight decay 5e-4) with SCL's
step decay, 48 steps in float64 PyTorch from the same initial weights.

Writes packages/scl/src/fixtures/trajectory/scl-ce-sc.{json,safetensors}.
Run: /usr/bin/python3 reference/vision/trajectory_scl.py [--check]"""
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'common'))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from fixtures import emit  # noqa: E402
from scl_ref import scl_loss  # noqa: E402

GENERATOR = 'reference/vision/trajectory_scl.py (PyTorch 1.13, float64)'
STEPS = 48
SIZE = 32


def glyphs(g, classes, per_class):
    """Class prototypes (random strokes on a 32 x 32 canvas) plus per-image noise: a tiny few-shot-like dataset."""
    protos = []
    for _ in range(classes):
        img = np.zeros((SIZE, SIZE), dtype=np.float32)
        for _ in range(3):
            r0, c0, r1, c1 = g.randint(4, SIZE - 4, size=4)
            for t in np.linspace(0, 1, 40):
                r, c = int(r0 + t * (r1 - r0)), int(c0 + t * (c1 - c0))
                img[max(0, r - 1):r + 2, max(0, c - 1):c + 2] = 1
        protos.append(img)
    x, y = [], []
    for k in range(classes):
        for _ in range(per_class):
            x.append(np.clip(protos[k][..., None] * g.uniform(0.5, 1, 3) + 0.2 * g.rand(SIZE, SIZE, 3), 0, 1).astype(np.float32))
            y.append(k)
    return np.stack(x), np.array(y, dtype=np.int32)


def shift(img, dy, dx):
    """Circular translation by (dy, dx) (the views; the test builds them the same way). Wrapping rather than
    zero-filling keeps exact ties out of the max-pools, whose gradient goes to a different tied input in each framework."""
    return np.roll(img, (dy, dx), axis=(0, 1))


def init_weights(g, widths, classes, feat):
    p, b = {}, {}
    cin = 3
    for i, c in enumerate(widths, start=1):
        pre = f'backbone.layer{i}.0'
        for j, (ci, k) in enumerate([(cin, 3), (c, 3), (c, 3)], start=1):
            p[f'{pre}.conv{j}.weight'] = g.normal(0, math.sqrt(2 / (k * k * c)), (k, k, ci, c))
            p[f'{pre}.bn{j}.weight'] = 1 + 0.1 * g.normal(size=c)
            p[f'{pre}.bn{j}.bias'] = 0.1 * g.normal(size=c)
            b[f'{pre}.bn{j}.running_mean'] = np.zeros(c)
            b[f'{pre}.bn{j}.running_var'] = np.ones(c)
        p[f'{pre}.downsample.0.weight'] = g.normal(0, math.sqrt(2 / c), (1, 1, cin, c))
        p[f'{pre}.downsample.1.weight'] = np.ones(c)
        p[f'{pre}.downsample.1.bias'] = np.zeros(c)
        b[f'{pre}.downsample.1.running_mean'] = np.zeros(c)
        b[f'{pre}.downsample.1.running_var'] = np.ones(c)
        cin = c
    C = widths[-1]
    p['backbone.classifier.weight'] = g.uniform(-1, 1, (C, classes)) / math.sqrt(C)
    p['backbone.classifier.bias'] = g.uniform(-1, 1, classes) / math.sqrt(C)
    for head in ('query', 'key', 'value'):
        p[f'attention.{head}.0.weight'] = g.uniform(-1, 1, (C, C)) / math.sqrt(C)
        p[f'attention.{head}.2.weight'] = g.uniform(-1, 1, (C, feat)) / math.sqrt(C)
    f32 = lambda d: {k: np.asarray(v, dtype=np.float32) for k, v in d.items()}  # noqa: E731
    return f32(p), f32(b)


def run(x, y, config, batches, p32, b32, dtype):
    """The trajectory in `dtype`: per-step loss parts and lr, and the final state."""
    n, bs = x.shape[0], config['batchSize']
    per_epoch = n // bs
    params = {k: torch.tensor(v, dtype=dtype, requires_grad=True) for k, v in p32.items()}
    buffers = {k: torch.tensor(v, dtype=dtype) for k, v in b32.items()}
    mom = {}
    steps = []
    for s, bt in enumerate(batches):
        views = [shift(x[i], *bt['shifts'][v]) for v, i in enumerate(bt['indices'] + bt['indices'])]
        xb = torch.tensor(np.stack(views), dtype=dtype)
        yb = torch.tensor(y[bt['indices']], dtype=torch.int64)
        epoch1 = s // per_epoch + 1
        lr = config['lr'] * config['lrDecayRate'] ** sum(1 for m in config['lrMilestones'] if epoch1 > m)
        parts = scl_loss(params, buffers, xb, yb, config)
        grads = torch.autograd.grad(parts['total'], list(params.values()))
        with torch.no_grad():
            for (name, p), gr in zip(params.items(), grads):
                gr = gr + config['weightDecay'] * p
                buf = gr.clone() if name not in mom else mom[name] * config['momentum'] + gr
                mom[name] = buf
                p -= lr * buf
        steps.append({k: float(v) for k, v in parts.items()} | {'lr': lr})
    return steps, {**params, **buffers}


def main(check=False):
    g = np.random.RandomState(41)
    x, y = glyphs(g, 4, 4)
    n, bs = x.shape[0], 8
    config = {'channels': [8, 8, 16, 16], 'dropRate': 0, 'dropBlockSize': 2, 'imageSize': SIZE, 'cropPadding': 0, 'featDim': 16,
              'spatialContLoss': True, 'globalContLoss': False, 'lambdaCls': 1, 'lambdaSpatial': 1, 'spatialInverseTemperature': 10,
              'aggregation': 'mean', 'lr': 0.01, 'momentum': 0.9, 'weightDecay': 5e-4, 'batchSize': bs, 'epochs': 24, 'lrMilestones': [16],
              'lrDecayRate': 0.1, 'seed': 3}
    batches = []
    for _ in range(STEPS):
        idx = g.choice(n, bs, replace=False).tolist()
        shifts = g.randint(-3, 4, size=(2 * bs, 2)).tolist()
        batches.append({'indices': idx, 'shifts': shifts})
    p32, b32 = init_weights(g, config['channels'], 4, config['featDim'])
    steps, state = run(x, y, config, batches, p32, b32, torch.float64)
    # The same run in float32 PyTorch: its distance from float64 is the noise any float32 implementation has here.
    # SC's ReLU MLPs, max-pools and the attention softmax switch branches at slightly different steps in float32, so
    # after ~15 steps both float32 runs sit ~1e-4..1e-3 from float64 (bounded, not growing); LEL may be 10x that.
    steps32, state32 = run(x, y, config, batches, p32, b32, torch.float32)
    drift = [max(abs(a[k] - b[k]) / max(abs(b[k]), 1e-12) for k in ('total', 'ce', 'sc')) for a, b in zip(steps32, steps)]
    adrift = max(abs(a[k] - b[k]) for a, b in zip(steps32, steps) for k in ('total', 'ce', 'sc'))
    wdrift = max(float((state32[k].double() - state[k]).abs().max() / max(float(state[k].abs().max()), 1e-12)) for k in state)
    tolerance = {'firstSteps': 10, 'firstStepsRtol': 1e-4, 'lossRtol': 0, 'lossAtol': round(max(1e-4, 10 * adrift), 6),
                 'weightAtol': round(max(1e-4, 10 * wdrift), 6), 'weightRtol': round(max(1e-3, 10 * wdrift), 6),
                 'derivation': f'10 x the float32-PyTorch distance from float64 on this run (losses: {adrift:.1e} absolute, {max(drift):.1e} relative at worst; '
                               f'weights {wdrift:.1e} relative to each tensor\'s largest value); 1e-4 relative over the first 10 steps (float32 PyTorch: {max(drift[:10]):.1e})'}
    params = state
    tensors = {'data.images': x, 'data.labels': y, **{f'init.{k}': v for k, v in {**p32, **b32}.items()}, **{f'final.{k}': v.detach().numpy() for k, v in state.items()}}
    doc = {
        'generator': GENERATOR,
        'what': f'@lel/scl trainScl (CE + SC, dropRate 0) with per-step two-view batches: views of data.images[indices] rolled (circularly) by shifts[v], '
                f'{STEPS} SGD steps from init.*: per-step loss parts (total, ce, sc) and lr; final.* = weights and BatchNorm statistics',
        'config': config,
        'batches': batches,
        'steps': steps,
        'tolerance': tolerance,
    }
    return {'scl-ce-sc': emit('packages/scl/src/fixtures/trajectory/scl-ce-sc.json', doc, tensors, check=check)}


if __name__ == '__main__':
    torch.set_num_threads(1)
    print(main('--check' in sys.argv))
