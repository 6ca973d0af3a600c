#!/usr/bin/env python3
"""SWA trajectory fixture for @lel/swa's trajectory-bn.test.ts: a small conv net with BatchNorm (conv3x3 -> BN -> ReLU ->
global average pool -> linear) trained 40 SGD steps (10 epochs x 4 fixture batches); from step 20 SWALR holds the
learning rate at swaLr and torch.optim.swa_utils.AveragedModel averages the weights after every step; at the end the
averaged weights get fresh BatchNorm statistics from torch's update_bn over the data in batches of 8. PyTorch's own
swa_utils in float64 are the reference.

Writes packages/swa/src/fixtures/trajectory/swa-bn.{json,safetensors}.
Run: /usr/bin/python3 reference/vision/trajectory_swa.py [--check]"""
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'common'))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch.optim.swa_utils import AveragedModel, update_bn  # noqa: E402

from fixtures import emit  # noqa: E402

GENERATOR = 'reference/vision/trajectory_swa.py (PyTorch 1.13 torch.optim.swa_utils, float64)'
EPOCHS, PER_EPOCH, BATCH, N, SIZE, CIN, CH, C = 10, 4, 8, 32, 8, 3, 4, 3


class Net(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(CIN, CH, 3, padding=1, bias=False)
        self.bn = torch.nn.BatchNorm2d(CH)
        self.fc = torch.nn.Linear(CH, C)

    def forward(self, x_nhwc):
        h = torch.relu(self.bn(self.conv(x_nhwc.permute(0, 3, 1, 2))))
        return self.fc(h.mean(dim=(2, 3)))


def to_lel(sd):
    """torch state dict -> LEL names and layouts (conv [kh, kw, in, out], linear [in, out])."""
    return {'conv.weight': sd['conv.weight'].permute(2, 3, 1, 0), 'bn.weight': sd['bn.weight'], 'bn.bias': sd['bn.bias'], 'bn.running_mean': sd['bn.running_mean'],
            'bn.running_var': sd['bn.running_var'], 'fc.weight': sd['fc.weight'].t(), 'fc.bias': sd['fc.bias']}


def main(check=False):
    g = np.random.RandomState(61)
    x = g.rand(N, SIZE, SIZE, CIN).astype(np.float32)
    y = g.randint(0, C, N).astype(np.int32)
    net = Net().double()
    with torch.no_grad():
        for p in net.parameters():
            p.copy_(torch.tensor(g.normal(0, 0.5, tuple(p.shape)).astype(np.float32), dtype=torch.float64))
        net.bn.weight.copy_(torch.tensor((1 + 0.1 * g.normal(size=CH)).astype(np.float32), dtype=torch.float64))
    init = {k: v.detach().numpy().astype(np.float32) for k, v in to_lel(net.state_dict()).items()}
    batches = [g.choice(N, BATCH, replace=False).tolist() for _ in range(EPOCHS * PER_EPOCH)]
    cfg = {'lr': 0.2, 'momentum': 0.9, 'weightDecay': 1e-4, 'swaLr': 0.05, 'swaStart': 0.5, 'every': 1}
    total = EPOCHS * PER_EPOCH
    start = math.floor(cfg['swaStart'] * total)
    opt = torch.optim.SGD(net.parameters(), lr=cfg['lr'], momentum=cfg['momentum'], weight_decay=cfg['weightDecay'])
    swa = AveragedModel(net)
    xs, ys = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.int64)
    steps = []
    for s, idx in enumerate(batches):
        # Poly decay (power 0.9) before the start; SWALR with annealEpochs 0 holds swaLr from the start on.
        lr = cfg['lr'] * (1 - s / total) ** 0.9 if s < start else cfg['swaLr']
        for group in opt.param_groups:
            group['lr'] = lr
        net.train()
        loss = F.cross_entropy(net(xs[idx]), ys[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
        t = s + 1
        if t > start and (t - start - 1) % cfg['every'] == 0:
            swa.update_parameters(net)
        steps.append({'total': float(loss), 'lr': lr})
    update_bn([xs[i:i + BATCH] for i in range(0, N, BATCH)], swa)
    final = to_lel(swa.module.state_dict())
    tensors = {'data.x': x, 'data.y': y, **{f'init.{k}': v for k, v in init.items()}, **{f'final.{k}': v.detach().numpy() for k, v in final.items()}}
    doc = {
        'generator': GENERATOR,
        'what': f'{total} SGD steps of a conv3x3 -> BatchNorm -> ReLU -> GAP -> linear classifier from init.* on data.x[batches[s]] (CE), poly lr then SWALR '
                f'(swaLr from step {start}), SWA running average of the weights after every step t > {start}, BatchNorm statistics of the average '
                'recomputed by update_bn over data.x in batches of 8: per-step loss and lr; final.* = the averaged model after update_bn',
        'config': {**cfg, 'epochs': EPOCHS, 'stepsPerEpoch': PER_EPOCH, 'bnBatch': BATCH},
        'batches': batches,
        'steps': steps,
        'tolerance': {'firstSteps': 10, 'firstStepsRtol': 1e-4, 'lossRtol': 1e-4, 'lossAtol': 1e-6, 'weightAtol': 1e-5, 'weightRtol': 1e-4},
    }
    return {'swa-bn': emit('packages/swa/src/fixtures/trajectory/swa-bn.json', doc, tensors, check=check)}


if __name__ == '__main__':
    torch.set_num_threads(1)
    print(main('--check' in sys.argv))
