#!/usr/bin/env python3
"""Distillation-loop trajectory fixtures for @lel/distill's trajectory-transfer.test.ts: `distill` (frozen teacher in eval
mode, per-epoch schedules from ctx.epoch, SGD with momentum and weight decay) on a small MLP student distilled from a
fixed MLP teacher, mirrored in float64 PyTorch for 40 steps (10 epochs of 4 batches given by the fixture):
- kd: Hinton KD (alpha 0.5, T 4) with a quarter of each batch UNLABELLED (-1: transfer rows, soft term only);
- continuation-kd: Continuation-KD's Algorithm 1 (T_max 5 over the 10 epochs, psi = i/40, margin 1).

Writes packages/distill/src/fixtures/trajectory/{kd,continuation-kd}.{json,safetensors}.
Run: /usr/bin/python3 reference/vision/trajectory_kd.py [--check]"""
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'common'))

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from fixtures import emit  # noqa: E402

GENERATOR = 'reference/vision/trajectory_kd.py (PyTorch 1.13, float64)'
EPOCHS, PER_EPOCH, BATCH, D, H_T, H_S, C = 10, 4, 8, 8, 16, 6, 4


def mlp(p, prefix, x):
    return torch.relu(x @ p[f'{prefix}fc1.weight'] + p[f'{prefix}fc1.bias']) @ p[f'{prefix}fc2.weight'] + p[f'{prefix}fc2.bias']


def ce_labelled(z, y):
    keep = y >= 0
    if int(keep.sum()) == 0:
        return torch.zeros((), dtype=z.dtype)
    return F.cross_entropy(z[keep], y[keep])


def continuation(epochs, t_max):
    k = max(1, epochs // t_max)
    T, out = t_max, []
    for i in range(1, epochs + 1):
        if i % k == 0:
            T = max(1, T - 1)
        out.append((T, 1 - (T - 1) / t_max, i / 40 if i <= 20 else 1.0))
    return out


def run(method, check):
    g = np.random.RandomState(53 if method == 'kd' else 59)
    x = g.normal(size=(64, D)).astype(np.float32)
    teacher = {'fc1.weight': g.normal(0, 0.5, (D, H_T)), 'fc1.bias': 0.1 * g.normal(size=H_T), 'fc2.weight': g.normal(0, 0.5, (H_T, C)), 'fc2.bias': 0.1 * g.normal(size=C)}
    teacher = {k: v.astype(np.float32) for k, v in teacher.items()}
    y = mlp({k: torch.tensor(v, dtype=torch.float64) for k, v in teacher.items()}, '', torch.tensor(x, dtype=torch.float64)).argmax(1).numpy()
    flip = g.rand(64) < 0.2
    y = np.where(flip, g.randint(0, C, 64), y).astype(np.int32)  # noisy labels: the teacher knows more than the labels
    if method == 'kd':
        y = np.where(g.rand(64) < 0.25, -1, y).astype(np.int32)
    init = {'fc1.weight': g.uniform(-1, 1, (D, H_S)) / math.sqrt(D), 'fc1.bias': g.uniform(-1, 1, H_S) / math.sqrt(D),
            'fc2.weight': g.uniform(-1, 1, (H_S, C)) / math.sqrt(H_S), 'fc2.bias': g.uniform(-1, 1, C) / math.sqrt(H_S)}
    init = {k: v.astype(np.float32) for k, v in init.items()}
    batches = [g.choice(64, BATCH, replace=False).tolist() for _ in range(EPOCHS * PER_EPOCH)]
    cfg = {'lr': 0.1, 'momentum': 0.9, 'weightDecay': 5e-4}
    method_cfg = {'method': 'kd', 'alpha': 0.5, 'temperature': 4} if method == 'kd' else {'method': 'continuation-kd', 'tMax': 5, 'psi': {'kind': 'paper-nlu'}, 'margin': 1}
    sched = continuation(EPOCHS, 5)
    tp = {k: torch.tensor(v, dtype=torch.float64) for k, v in teacher.items()}
    sp = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in init.items()}
    mom, steps = {}, []
    xs, ys = torch.tensor(x, dtype=torch.float64), torch.tensor(y, dtype=torch.int64)
    for s, idx in enumerate(batches):
        epoch = s // PER_EPOCH
        xb, yb = xs[idx], ys[idx]
        z = mlp(sp, '', xb)
        with torch.no_grad():
            zt = mlp(tp, '', xb)
        hard = ce_labelled(z, yb)
        if method == 'kd':
            Tm, a = 4.0, 0.5
            pt = F.softmax(zt / Tm, dim=1)
            soft = (pt * (torch.log(pt) - F.log_softmax(z / Tm, dim=1))).sum() / z.shape[0]
            total = a * hard + (1 - a) * Tm * Tm * soft
        else:
            _, phi, psi = sched[epoch]
            hinge = torch.relu(((z - phi * zt) ** 2).sum(-1) - 1 * phi)
            soft = hinge.mean()
            total = psi * hard + (1 - psi) * soft
        grads = torch.autograd.grad(total, list(sp.values()))
        with torch.no_grad():
            for (name, p), gr in zip(sp.items(), grads):
                gr = gr + cfg['weightDecay'] * p
                buf = gr.clone() if name not in mom else mom[name] * cfg['momentum'] + gr
                mom[name] = buf
                p -= cfg['lr'] * buf
        steps.append({'total': float(total), 'hard': float(hard), 'soft': float(soft)})
    tensors = {'data.x': x, 'data.y': y, **{f'teacher.{k}': v for k, v in teacher.items()}, **{f'init.{k}': v for k, v in init.items()},
               **{f'final.{k}': v.detach().numpy() for k, v in sp.items()}}
    doc = {
        'generator': GENERATOR,
        'what': f'@lel/distill distill() with method {method_cfg["method"]}: an MLP student ({D}-{H_S}-{C}, ReLU) from init.* distilled from the frozen MLP teacher.* '
                f'({D}-{H_T}-{C}) on data.x[batches[s]] (labels data.y, -1 = unlabelled transfer row), {EPOCHS} epochs of {PER_EPOCH} batches, SGD lr 0.1, '
                'momentum 0.9, weight decay 5e-4: per-step loss parts (total, hard, soft); final.* = student weights',
        'method': method_cfg,
        'optim': cfg,
        'epochs': EPOCHS,
        'stepsPerEpoch': PER_EPOCH,
        'batches': batches,
        'steps': steps,
        'tolerance': {'firstSteps': 10, 'firstStepsRtol': 1e-4, 'lossRtol': 1e-4, 'lossAtol': 1e-6, 'weightAtol': 1e-5, 'weightRtol': 1e-4},
    }
    return emit(f'packages/distill/src/fixtures/trajectory/{method}.json', doc, tensors, check=check)


def main(check=False):
    return {m: run(m, check) for m in ('kd', 'continuation-kd')}


if __name__ == '__main__':
    torch.set_num_threads(1)
    print(main('--check' in sys.argv))
