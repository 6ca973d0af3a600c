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
TIE = 1e-6
NUDGED = 3


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


def max_pool_margins(fn):
    """Run fn() while recording, per call of F.max_pool2d (2 x 2 windows), the smallest gap between the largest and
    the second-largest value of any window: the float64 distance from a tie, where the gradient's route depends on
    rounding."""
    import scl_ref
    orig, found = scl_ref.F.max_pool2d, []

    def pool(z, k):
        n, c, h, w = z.shape
        win = z.detach().reshape(n, c, h // 2, 2, w // 2, 2).permute(0, 1, 2, 4, 3, 5).reshape(n, c, h // 2, w // 2, 4)
        top = win.topk(2, dim=-1).values
        found.append(float((top[..., 0] - top[..., 1]).min()))
        return orig(z, k)

    scl_ref.F.max_pool2d = pool
    try:
        return fn(), min(found)
    finally:
        scl_ref.F.max_pool2d = orig


def run(x, y, config, batches, p32, b32, dtype, margins=None):
    """The trajectory in `dtype`: per-step loss parts and lr, and the final state (and, given a list, each step's
    smallest max-pool margin appended to it)."""
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
        if margins is None:
            parts = scl_loss(params, buffers, xb, yb, config)
        else:
            parts, m = max_pool_margins(lambda: scl_loss(params, buffers, xb, yb, config))
            margins.append(m)
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
    margins = []
    steps, state = run(x, y, config, batches, p32, b32, torch.float64, margins)
    # Max-pool near-ties. The float64 run passes 2 x 2 windows whose two largest values differ by < TIE (4.0e-7 at
    # step 4); float32 carries ~1e-6 of rounding in those activations, so a float32 run (LEL on any backend, float32
    # PyTorch) may take the other input of such a window, whose gradient then differs by up to 1e-2 (measured: LEL's
    # cpu backend at step 4 takes the other input of window (view 13, channel 7, row 7, col 8) of stage 1, exactly
    # tied in float32 from its state; its gradient equals float64's with that window flipped within 8.5e-6) and the
    # trajectory is chaotic from there. So 1e-4 relative holds only for the steps before the first near-tie.
    first_tie = next((s for s, m in enumerate(margins) if m < TIE), STEPS)
    # After that, the spread of float32 runs: PyTorch float32 from the initial weights and from copies nudged by one
    # float32 ulp (different roundings, so different ties taken); the tolerance is 3 x their largest distance from float64.
    g2 = np.random.RandomState(7)
    runs32 = [run(x, y, config, batches, p32, b32, torch.float32)]
    for _ in range(NUDGED):
        nudged = {k: (v + g2.choice([-1, 1], v.shape) * np.spacing(v)).astype(np.float32) for k, v in p32.items()}
        runs32.append(run(x, y, config, batches, nudged, b32, torch.float32))
    parts = ('total', 'ce', 'sc')
    adrift = max(abs(a[k] - b[k]) for st32, _ in runs32 for a, b in zip(st32, steps) for k in parts)
    drift = max(abs(a[k] - b[k]) / max(abs(b[k]), 1e-12) for st32, _ in runs32 for a, b in zip(st32[:first_tie], steps[:first_tie]) for k in parts)
    wdrift = max(float((s32[k].double() - state[k]).abs().max() / max(float(state[k].abs().max()), 1e-12)) for _, s32 in runs32 for k in state)
    tolerance = {'firstSteps': first_tie, 'firstStepsRtol': 1e-4, 'lossRtol': 0, 'lossAtol': round(max(1e-4, 3 * adrift), 6),
                 'weightAtol': round(max(1e-4, 3 * wdrift), 6), 'weightRtol': round(max(1e-3, 3 * wdrift), 6),
                 'derivation': f'1e-4 relative for the {first_tie} steps before the first max-pool near-tie of the float64 run (a window whose two largest values differ by < {TIE:g}: '
                               f'float32 rounding may route its gradient to the other input; float32 PyTorch over those steps: {drift:.1e}); after that 3 x the largest distance from float64 '
                               f'of {1 + NUDGED} float32 PyTorch runs (one from init.*, {NUDGED} from init.* nudged by one ulp): losses {adrift:.1e} absolute, weights {wdrift:.1e} relative to each tensor\'s largest value'}
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
        'maxPoolMargins': [float(f'{m:.3e}') for m in margins],
    }
    return {'scl-ce-sc': emit('packages/scl/src/fixtures/trajectory/scl-ce-sc.json', doc, tensors, check=check)}


if __name__ == '__main__':
    torch.set_num_threads(1)
    print(main('--check' in sys.argv))
