#!/usr/bin/env python3
"""Reference values of @lel/cct's golden cases (packages/cct/src/fixtures/cct.json), recomputed from each case's
inputs with float64 PyTorch, following yassouali/CCT (models/decoders.py, utils/losses.py, utils/ramps.py).
Run: /usr/bin/python3 reference/vision/golden_cct.py [--check]"""
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'common'))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402

from golden import arr, regenerate, tensor  # noqa: E402
from segnet import connected_components, nearest_indices  # noqa: E402

T = lambda v: torch.tensor(arr(v))  # noqa: E731


def feature_noise(i, p, c):
    z, n = T(i['z']), T(i['noise'])
    return {'out': tensor(z + z * n)}


def feature_drop(i, p, c):
    z = T(i['z'])
    att = z.mean(dim=3)
    th = att.reshape(att.shape[0], -1).max(dim=1).values * i['gamma']
    mask = (att < th[:, None, None]).double()
    return {'attention': tensor(att), 'threshold': tensor(th), 'mask': tensor(mask), 'out': tensor(z * mask[..., None])}


def dropout2d(i, p, c):
    z, k = T(i['z']), T(i['keepMask'])
    return {'out': tensor(z * k[:, None, None, :] / (1 - p['p']))}


def guided_mask(keep_objects):
    def h(i, p, c):
        z, logits = T(i['z']), T(i['mainLogits'])
        fg = (logits.argmax(dim=3) > 0).double()
        rows, cols = nearest_indices(fg.shape[1], z.shape[1]), nearest_indices(fg.shape[2], z.shape[2])
        small = fg[:, rows][:, :, cols]
        m = small if keep_objects else 1 - small
        return {'fgMaskFull': tensor(fg), 'mask': tensor(m), 'out': tensor(z * m[..., None])}
    return h


def guided_cutout(i, p, c):
    z, logits, off = T(i['z']), T(i['mainLogits']), arr(i['offsets'], np.int64)
    labels = logits.argmax(dim=3).numpy()
    B, H, W = labels.shape
    erase = p['erase']
    cut = np.ones((B, H, W))
    counts, boxes = [], -np.ones((B, off.shape[1], 4))
    for b in range(B):
        kept = [k for k in connected_components(labels[b].reshape(-1) > 0, H, W) if k[4] >= p['minPixels']]
        counts.append(len(kept))
        for k, (r0, r1, c0, c1, _) in enumerate(kept):
            bh, bw = r1 - r0, c1 - c0
            oy, ox = off[b, k]
            rs, cs = r0 + oy, c0 + ox
            re, ce = rs + math.floor(bh * erase), cs + math.floor(bw * erase)
            boxes[b, k] = [rs, re, cs, ce]
            cut[b, rs:min(re, H), cs:min(ce, W)] = 0
    h, w = z.shape[1:3]
    small = cut[:, nearest_indices(H, h)][:, :, nearest_indices(W, w)]
    return {'numComponents': tensor(counts), 'boxes': tensor(boxes), 'cutMaskFull': tensor(cut), 'mask': tensor(small), 'out': tensor(z * torch.tensor(small)[..., None])}


def vat(i, p, c):
    z, K, bias, d0 = T(i['z']), T(i['kernel']), T(i['bias']), T(i['d0'])
    dec = lambda x: torch.einsum('bhwc,ck->bhwk', x, K[0, 0]) + bias  # noqa: E731
    norm = lambda d: d / (torch.sqrt((d ** 2).sum(dim=(1, 2, 3), keepdim=True)) + 1e-8)  # noqa: E731
    logits = dec(z)
    pr = F.softmax(logits, dim=3)
    logp = F.log_softmax(logits, dim=3)
    B = z.shape[0]
    d = norm(d0)
    d_init = d
    for _ in range(int(p['iterations'])):
        d = d.detach().requires_grad_(True)
        adv = (pr * (logp - F.log_softmax(dec(z + p['xi'] * d), dim=3))).sum() / B
        (g,) = torch.autograd.grad(adv, d)
        d = norm(g)
    r = p['eps'] * d
    la = dec(z + r)
    pa = F.softmax(la, dim=3)
    kl = (pr * (logp - F.log_softmax(la, dim=3))).sum() / B
    return {'p': tensor(pr), 'dInit': tensor(d_init), 'advDistance': float(adv), 'gradD': tensor(g), 'rAdv': tensor(r), 'logitsAdv': tensor(la), 'probsAdv': tensor(pa), 'klAdv': float(kl)}


def unsupervised_mse(i, p, c):
    aux = T(i['auxLogits']).requires_grad_(True)
    main = T(i['mainLogits']).requires_grad_(True)
    target = F.softmax(main.detach(), dim=-1)
    loss = sum(((F.softmax(aux[k], dim=-1) - target) ** 2).mean() for k in range(aux.shape[0])) / aux.shape[0]
    ga, = torch.autograd.grad(loss, aux, retain_graph=True)
    gm, = torch.autograd.grad(loss, main, allow_unused=True)
    gm = torch.zeros_like(main) if gm is None else gm
    return {'loss': float(loss), 'gradAux': tensor(ga[int(p['gradIndex'])]), 'gradMain': tensor(gm)}


def ramp(t, T_, w):
    if T_ == 0:
        return w
    t = min(max(t, 0), T_)
    return w * math.exp(-5 * (1 - t / T_) ** 2)


def ramp_up(i, p, c):
    return {'weight': tensor([ramp(t, p['rampupLength'], p['wMax']) for t in arr(i['t'])])}


def ab_ce(i, p, c):
    logits, labels = T(i['logits']), arr(i['labels'], np.int64)
    C = logits.shape[-1]
    flat = logits.reshape(-1, C)
    y = torch.tensor(labels.reshape(-1))
    keep = y != p['ignoreIndex']
    prob = F.softmax(flat[keep], dim=1).gather(1, y[keep][:, None])[:, 0]
    n = int(keep.sum())
    t, Tt = p['t'], p['totalIters']
    tau = 1 / C + (0.9 - 1 / C) * (1 - math.exp(-5 * min(max(t, 0), Tt) / Tt))
    srt = torch.sort(prob).values
    B = logits.shape[0]
    min_th = float(srt[min(int(p['minKept']) * B, n - 1)]) if n > 0 else 0.0
    th = max(tau, min_th)
    sel = prob < th
    loss = float(F.cross_entropy(flat[keep][sel], y[keep][sel])) if int(sel.sum()) > 0 else 0.0
    return {'tau': tau, 'minThreshold': min_th, 'threshold': th, 'numSelected': int(sel.sum()), 'loss': loss}


def cct_loss(i, p, c):
    sup, y = T(i['supLogits']), torch.tensor(arr(i['labels'], np.int64))
    main, aux = T(i['unsupMainLogits']), T(i['auxLogits'])
    ls = F.cross_entropy((sup / p['softmaxTemp']).permute(0, 3, 1, 2), y, ignore_index=int(p['ignoreIndex'])) * p['supWeight']
    target = F.softmax(main, dim=-1)
    lu = sum(((F.softmax(aux[k], dim=-1) - target) ** 2).mean() for k in range(aux.shape[0])) / aux.shape[0]
    wu = p['wU']
    return {'lossSup': float(ls), 'lossUnsup': float(lu), 'lossUnsupWeighted': float(wu * lu), 'total': float(ls + wu * lu)}


HANDLERS = {
    'featureNoise': feature_noise, 'featureDrop': feature_drop, 'dropout2d': dropout2d,
    'contextMasking': guided_mask(True), 'objectMasking': guided_mask(False), 'guidedCutout': guided_cutout,
    'vatPerturbation': vat, 'unsupervisedMse': unsupervised_mse, 'rampUpWeight': ramp_up, 'abCE': ab_ce, 'cctLoss': cct_loss,
}


def main(check=False):
    return {'cct.json': regenerate('packages/cct/src/fixtures/cct.json', HANDLERS, check)}


if __name__ == '__main__':
    torch.set_default_dtype(torch.float64)
    print(main('--check' in sys.argv))
