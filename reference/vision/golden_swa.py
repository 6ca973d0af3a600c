#!/usr/bin/env python3
"""Reference values of @lel/swa's golden cases (packages/swa/src/fixtures/swa.json), recomputed from each case's
inputs with PyTorch 1.13's own torch.optim.swa_utils (AveragedModel, SWALR, update_bn) where it applies.
Run: /usr/bin/python3 reference/vision/golden_swa.py [--check]"""
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'common'))

import numpy as np  # noqa: E402
import torch  # noqa: E402
from torch.optim.swa_utils import SWALR, AveragedModel, update_bn  # noqa: E402

from golden import arr, regenerate, tensor  # noqa: E402

import warnings  # noqa: E402

warnings.filterwarnings('ignore', message='Detected call of')


class Holder(torch.nn.Module):
    def __init__(self, shape):
        super().__init__()
        self.w = torch.nn.Parameter(torch.zeros(shape, dtype=torch.float64))


def averages(snaps, avg_fn=None):
    m = Holder(snaps.shape[1:])
    avg = AveragedModel(m, avg_fn=avg_fn)
    out, counts = [], []
    for s in snaps:
        with torch.no_grad():
            m.w.copy_(torch.tensor(s))
        avg.update_parameters(m)
        out.append(avg.module.w.detach().clone().numpy())
        counts.append(int(avg.n_averaged))
    return np.stack(out), counts


def swa_average(i, p, c):
    a, n = averages(arr(i['snapshots']))
    return {'averages': tensor(a), 'nAveraged': tensor(n)}


def ema_average(i, p, c):
    d = p['decay']
    a, _ = averages(arr(i['snapshots']), lambda avg, cur, n: d * avg + (1 - d) * cur)
    return {'averages': tensor(a)}


def swa_lr(i, p, c):
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=p['lr'])
    sched = SWALR(opt, swa_lr=p['swaLr'], anneal_epochs=int(p['annealEpochs']), anneal_strategy=p['annealStrategy'])
    lrs = [opt.param_groups[0]['lr']]
    for _ in range(int(p['numSteps'])):
        sched.step()
        lrs.append(opt.param_groups[0]['lr'])
    return {'lrs': tensor(lrs)}


def update_bn_case(i, p, c):
    x = torch.tensor(arr(i['x']))
    C = x.shape[-1]
    bn = torch.nn.BatchNorm1d(C).double() if x.dim() == 2 else torch.nn.BatchNorm2d(C).double()
    model = torch.nn.Sequential(bn)
    chunks = []
    start = 0
    for b in p['batchSizes']:
        chunk = x[start:start + b]
        chunks.append(chunk if x.dim() == 2 else chunk.permute(0, 3, 1, 2))
        start += b
    update_bn(chunks, model)
    return {'runningMean': tensor(bn.running_mean), 'runningVar': tensor(bn.running_var), 'numBatchesTracked': int(bn.num_batches_tracked)}


def swa_start(i, p, c):
    T, every = int(p['totalSteps']), int(p['every'])
    start = math.floor(p['swaStart'] * T)
    steps = [t for t in range(1, T + 1) if t > start and (t - start - 1) % every == 0]
    return {'startStep': start, 'steps': tensor(steps), 'numAverages': len(steps)}


HANDLERS = {'swaAverage': swa_average, 'emaAverage': ema_average, 'swaLrSchedule': swa_lr, 'updateBn': update_bn_case, 'swaStartSchedule': swa_start}


def main(check=False):
    return {'swa.json': regenerate('packages/swa/src/fixtures/swa.json', HANDLERS, check)}


if __name__ == '__main__':
    torch.set_default_dtype(torch.float64)
    print(main('--check' in sys.argv))
