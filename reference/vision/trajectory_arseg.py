#!/usr/bin/env python3
"""AR-seg (AC) trajectory fixture for @lel/autoregressive-seg's trajectory.test.ts: LEL's `trainArSeg` in mode 'ac'
(two orderings per batch drawn from `<seed>/train` as sampleOrderingPair, batches from `<seed>/labeled/<epoch>`
permutations with the last partial batch dropped, IIC loss uncollapsed over |t| <= 2, Adam) mirrored in float64
PyTorch for 50 steps from the same initial weights.

Writes packages/autoregressive-seg/src/fixtures/trajectory/arseg-ac.{json,safetensors}.
Run: /usr/bin/python3 reference/vision/trajectory_arseg.py [--check]"""
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'common'))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from arseg_ref import Adam, ArSegNet, iic_loss  # noqa: E402
from fixtures import emit  # noqa: E402
from lel_rng import Rng  # noqa: E402
from trajectory_cct import scenes  # noqa: E402

GENERATOR = 'reference/vision/trajectory_arseg.py (PyTorch 1.13, float64)'
STEPS = 50


def init_weights(g, in_c, stem, blocks, K):
    """Xavier-normal convs (as the re-implementation's init), small random biases, BatchNorm at (1, 0)."""
    p, b = {}, {}
    xav = lambda k, i, o: g.normal(0, math.sqrt(2 / (k * k * (i + o))), (k, k, i, o))  # noqa: E731
    p['encoder.stem.conv.weight'] = xav(3, in_c, stem)
    p['encoder.stem.conv.bias'] = 0.05 * g.normal(size=stem)
    p['encoder.stem.bn.weight'] = 1 + 0.1 * g.normal(size=stem)
    p['encoder.stem.bn.bias'] = 0.1 * g.normal(size=stem)
    b['encoder.stem.bn.running_mean'] = np.zeros(stem)
    b['encoder.stem.bn.running_var'] = np.ones(stem)
    c = stem
    for i in range(blocks):
        pre = f'encoder.blocks.{i}'
        p[f'{pre}.conv1.weight'] = xav(3, c, 2 * c)
        p[f'{pre}.conv1.bias'] = 0.05 * g.normal(size=2 * c)
        for j in range(2, 7):
            p[f'{pre}.conv{j}.weight'] = xav(1, 2 * c, 2 * c)
            p[f'{pre}.conv{j}.bias'] = 0.05 * g.normal(size=2 * c)
        c *= 2
    p['head.weight'] = xav(1, c, K)
    p['head.bias'] = 0.05 * g.normal(size=K)
    f32 = lambda d: {k: np.asarray(v, dtype=np.float32) for k, v in d.items()}  # noqa: E731
    return f32(p), f32(b)


def main(check=False):
    g = np.random.RandomState(31)
    x, _ = scenes(g, 12)
    config = {'mode': 'ac', 'inChannels': 3, 'numClusters': 3, 'stemChannels': 4, 'numBlocks': 2, 'stemStride': 1, 'kernelSize': 3,
              'orderingPolicy': 'independent', 'orderings': [1, 2, 3, 4, 5, 6, 7, 8], 'lossForm': 'uncollapsed', 'halfT': 2, 'lambda': 1.0,
              'lr': 1e-3, 'batchSize': 4, 'steps': STEPS, 'seed': 5}
    p32, b32 = init_weights(g, 3, 4, 2, 3)
    params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in p32.items()}
    buffers = {k: torch.tensor(v, dtype=torch.float64) for k, v in b32.items()}
    net = ArSegNet(params, buffers, 2, 1)
    opt = Adam(params, config['lr'])
    xs = torch.tensor(x, dtype=torch.float64)
    seed = str(config['seed'])
    train_rng = Rng(f'{seed}/train')
    steps, step, epoch, n, bs = [], 0, 0, x.shape[0], config['batchSize']
    while step < STEPS:
        order = Rng(f'{seed}/labeled/{epoch}').permutation(n)
        for s in range(0, n - bs + 1, bs):
            if step >= STEPS:
                break
            o1 = config['orderings'][train_rng.int(8)]
            o2 = config['orderings'][train_rng.int(8)]
            y1, y2 = net.forward_pair(xs[order[s:s + bs]], o1, o2)
            loss = iic_loss(y1, y2, config['halfT'], config['lambda'])
            grads = torch.autograd.grad(loss, list(params.values()))
            opt.step(dict(zip(params.keys(), grads)))
            steps.append({'total': float(loss), 'mi': float(loss), 'o1': o1, 'o2': o2})
            step += 1
        epoch += 1
    tensors = {'data.images': x, **{f'init.{k}': v for k, v in {**p32, **b32}.items()}, **{f'final.{k}': v.detach().numpy() for k, v in {**params, **buffers}.items()}}
    doc = {
        'generator': GENERATOR,
        'what': f"@lel/autoregressive-seg trainArSeg, mode 'ac', {STEPS} Adam steps from init.* on data.images: per-step IIC loss (total = mi) and the orderings drawn; final.* = weights and BatchNorm statistics",
        'config': config,
        'steps': steps,
        'tolerance': {'firstSteps': 10, 'firstStepsRtol': 1e-4, 'lossRtol': 1e-3, 'lossAtol': 1e-5, 'weightAtol': 1e-4, 'weightRtol': 1e-3,
                      'skipWeights': {n: 'the stem conv bias feeds a training-mode BatchNorm, so its true gradient is 0: Adam turns each framework\'s rounding noise into +-lr steps (the loss never sees them) and the running mean follows them'
                                      for n in ('encoder.stem.conv.bias', 'encoder.stem.bn.running_mean')}},
    }
    return {'arseg-ac': emit('packages/autoregressive-seg/src/fixtures/trajectory/arseg-ac.json', doc, tensors, check=check)}


if __name__ == '__main__':
    torch.set_num_threads(1)
    print(main('--check' in sys.argv))
