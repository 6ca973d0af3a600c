#!/usr/bin/env python3
"""Reference values of @lel/autoregressive-seg's golden cases (packages/autoregressive-seg/src/fixtures/arseg.json),
recomputed from each case's inputs: ordering masks and shifted masked convolutions (Max-Manning/autoregunsupseg
model/maskedconv.py), receptive fields by autograd, IIC's losses (xu-ji/IIC IID_losses.py) and the Hungarian
evaluation (scipy linear_sum_assignment). Run: /usr/bin/python3 reference/vision/golden_arseg.py [--check]"""
import itertools
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'common'))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402

from arseg_ref import EPS, iic_loss, masked_conv, ordering_kernel_mask, _mi  # noqa: E402
from golden import arr, regenerate, tensor  # noqa: E402
from segnet import nchw, nhwc  # noqa: E402


def kernel_masks(i, p, c):
    k = int(p['kernelSize'])
    out = [ordering_kernel_mask(k, o) for o in p['orderings']]
    return {'padding': tensor([list(pad) for pad, _ in out]), 'mask': tensor([m for _, m in out])}


def masked_convs(i, p, c):
    x, K, b = torch.tensor(arr(i['x'])), torch.tensor(arr(i['kernel'])), torch.tensor(arr(i['bias']))
    return {'out': tensor(torch.stack([nhwc(masked_conv(nchw(x), K, b, o)) for o in p['orderings']]))}


def visit_rank(H, W, o):
    r = np.zeros((H, W), dtype=np.int64)
    cells = {
        1: [(y, x) for y in range(H) for x in range(W)],
        2: [(y, x) for x in range(W) for y in range(H)],
        3: [(y, x) for y in range(H) for x in reversed(range(W))],
        4: [(y, x) for x in reversed(range(W)) for y in range(H)],
        5: [(y, x) for x in range(W) for y in reversed(range(H))],
        6: [(y, x) for y in reversed(range(H)) for x in range(W)],
        7: [(y, x) for y in reversed(range(H)) for x in reversed(range(W))],
        8: [(y, x) for x in reversed(range(W)) for y in reversed(range(H))],
    }[o]
    for n, (y, x) in enumerate(cells):
        r[y, x] = n
    return r


def causality(i, p, c):
    H, W, k = int(p['height']), int(p['width']), int(p['kernelSize'])
    rfs, ranks = [], []
    for o in p['orderings']:
        x = torch.zeros(1, H, W, 1, requires_grad=True)
        y = nchw(x)
        for _ in range(int(p['numLayers'])):
            y = masked_conv(y, torch.ones(k, k, 1, 1), None, o)
        (g,) = torch.autograd.grad(y[0, 0, int(p['row']), int(p['col'])], x)
        rfs.append((g[0, :, :, 0] != 0).numpy().astype(np.int64))
        ranks.append(visit_rank(H, W, o))
    return {'receptiveField': tensor(rfs), 'visitRank': tensor(ranks), 'rfSize': tensor([int(r.sum()) for r in rfs])}


def iic_collapsed(i, p, c):
    y1, y2 = nchw(torch.tensor(arr(i['y1']))), nchw(torch.tensor(arr(i['y2'])))
    T = int(p['halfT'])
    pt = torch.nn.functional.conv2d(y1.permute(1, 0, 2, 3), y2.permute(1, 0, 2, 3), padding=T).sum(dim=(2, 3))
    pj = pt / pt.sum()
    pj = (pj + pj.t()) / 2
    return {'joint': tensor(pj), 'marginal': tensor(pj.sum(dim=1)), 'loss': float(_mi(pj, p['lambda'], EPS)), 'lossNoLambda': float(_mi(pj, 1.0, EPS))}


def iic_uncollapsed(i, p, c):
    y1, y2 = nchw(torch.tensor(arr(i['y1']))), nchw(torch.tensor(arr(i['y2'])))
    T = int(p['halfT'])
    # Per displacement t = (a - T, b - T) with y2 displaced (LEL's layout): conv2d displaces y1, so flip both axes.
    pt = torch.nn.functional.conv2d(y1.permute(1, 0, 2, 3), y2.permute(1, 0, 2, 3), padding=T).flip(2, 3).permute(2, 3, 0, 1)
    pn = pt / pt.sum(dim=(2, 3), keepdim=True)
    pn = (pn + pn.transpose(2, 3)) / 2
    D = 2 * T + 1
    return {'loss': float(iic_loss(y1, y2, T, p['lambda'])), 'lossNoLambda': float(iic_loss(y1, y2, T, 1.0)), 'perDisplacementLoss': tensor(_mi(pn, p['lambda'], EPS))}


def hungarian_counts(counts):
    K = counts.shape[0]
    rows, cols = linear_sum_assignment(counts, maximize=True)
    mapping = np.zeros(K, dtype=np.int64)
    mapping[rows] = cols
    best = counts[rows, cols].sum()
    optimal = [list(pm) for pm in itertools.permutations(range(K)) if counts[np.arange(K), list(pm)].sum() == best]
    return mapping, best, optimal


def hungarian_pixels(i, p, c):
    pred, target = arr(i['pred'], np.int64).reshape(-1), arr(i['target'], np.int64).reshape(-1)
    K = int(p['numClusters'])
    keep = target != p['ignoreIndex']
    counts = np.zeros((K, K), dtype=np.int64)
    np.add.at(counts, (pred[keep], target[keep]), 1)
    mapping, best, optimal = hungarian_counts(counts)
    return {'counts': tensor(counts), 'mapping': tensor(mapping), 'matched': int(best), 'numValid': int(keep.sum()), 'accuracy': float(best / keep.sum()),
            'allOptimalMappings': tensor(optimal), 'numOptimal': len(optimal)}


HANDLERS = {'orderingKernelMask': kernel_masks, 'maskedConv': masked_convs, 'causalityCheck': causality, 'iicLossCollapsed': iic_collapsed,
            'iicLossUncollapsed': iic_uncollapsed, 'hungarianPixelAccuracy': hungarian_pixels}


def main(check=False):
    return {'arseg.json': regenerate('packages/autoregressive-seg/src/fixtures/arseg.json', HANDLERS, check)}


if __name__ == '__main__':
    torch.set_default_dtype(torch.float64)
    print(main('--check' in sys.argv))
