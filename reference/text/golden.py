#!/usr/bin/env python3
"""Regenerate the expected values of @lel/distill's and @lel/vib's golden fixtures (float64 PyTorch) from their
committed inputs and parameters, and compare with the committed expected values.

  /usr/bin/python3 reference/text/golden.py [--write] [distill|vib …]

Without --write nothing is written: it prints, per kind, the largest |regenerated − committed| (a regression in this
reference or a hand-edited fixture shows up here). With --write the fixtures' `expected` fields are replaced by the
regenerated values (inputs, parameters, tolerances and texts unchanged)."""
import json
import math
import os
import sys

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
import lel_ref as R  # noqa: E402

torch.set_default_dtype(torch.float64)


def T(x):
    if isinstance(x, dict) and 'shape' in x:
        t = torch.tensor(x['data'])
        return t.reshape(x['shape']) if x['shape'] else t.reshape(())
    return x


def J(t):
    if isinstance(t, torch.Tensor) and t.dim() == 0:
        return float(t)
    if isinstance(t, torch.Tensor):
        return {'shape': list(t.shape), 'data': [float(v) for v in t.reshape(-1)]}
    if isinstance(t, list):
        return {'shape': [len(t)], 'data': [float(v) for v in t]}
    return float(t)


# ----------------------------------------------------------------------------------------------- distill
def distill_case(kind, i, p):
    if kind == 'kdLoss':
        s, t, y, Tm, a = i['studentLogits'], i['teacherLogits'], i['labels'].long(), p['temperature'], p['alpha']
        soft = (F.softmax(t / Tm, -1) * (F.log_softmax(t / Tm, -1) - F.log_softmax(s / Tm, -1))).sum(-1).mean()
        hard = F.cross_entropy(s, y)
        return {'hardLoss': hard, 'softLoss': soft, 'loss': a * hard + (1 - a) * Tm * Tm * soft}
    if kind == 'continuationSchedule':
        n, tmax, ramp = p['epochs'], p['tMax'], p['psiRampEpochs']
        k = max(1, n // tmax)
        Ts, phis = [], []
        Tc = tmax
        for e in range(1, n + 1):
            if e % k == 0:
                Tc = max(1, Tc - 1)
            Ts.append(Tc)
            phis.append(1 - (Tc - 1) / tmax)
        return {'k': k, 'T': Ts, 'phi': phis, 'psiNlu': [e / 40 if e <= 20 else 1.0 for e in range(1, n + 1)], 'psiLinear': [min(1.0, e / ramp) for e in range(1, n + 1)]}
    if kind == 'continuationLoss':
        s, t, y = i['studentLogits'], i['teacherLogits'], i['labels'].long()
        ce = F.cross_entropy(s, y)
        sq = ((s - p['phi'] * t) ** 2).sum(-1)
        hinge = torch.clamp(sq - p['margin'] * p['phi'], min=0)
        return {'ce': ce, 'sqDist': sq, 'hinge': hinge, 'lCnt': hinge.mean(), 'loss': p['psi'] * ce + (1 - p['psi']) * hinge.mean()}
    if kind == 'labelSmoothingCE':
        return {'loss': F.cross_entropy(i['logits'], i['labels'].long(), label_smoothing=p['epsilon'])}
    if kind == 'confidencePenalty':
        z, y = i['logits'], i['labels'].long()
        lp = F.log_softmax(z, -1)
        H = -(lp.exp() * lp).sum(-1)
        ce = F.cross_entropy(z, y)
        return {'ce': ce, 'entropy': H, 'loss': ce - p['beta'] * H.mean(), 'lossThresholded': ce + p['beta'] * torch.clamp(p['gamma'] - H, min=0).mean()}
    if kind == 'ensembleSoftTargets':
        return {'softTargets': F.softmax(i['teacherLogits'] / p['temperature'], -1).mean(0)}
    raise KeyError(kind)


# ----------------------------------------------------------------------------------------------- vib
ACT = {'relu': torch.relu, 'tanh': torch.tanh, 'sigmoid': torch.sigmoid}


def vib_case(kind, i, p):
    if kind == 'vibHead':
        act = ACT[p['activation']]
        x = act(act(i['h'] @ i['W1'] + i['b1']) @ i['W2'] + i['b2'])
        mu = x @ i['Wmu'] + i['bmu']
        std = F.softplus(x @ i['Wstd'] + i['bstd'])
        z = mu.unsqueeze(0) + std.unsqueeze(0) * i['eps']
        sl = z @ i['Wcls'] + i['bcls']
        return {'mu': mu, 'std': std, 'z': z, 'sampledLogits': sl, 'meanSampledLogits': sl.mean(0), 'logitsMu': mu @ i['Wcls'] + i['bcls'], 'priorStd': F.softplus(i['stdPRaw'])}
    if kind == 'gaussianKl':
        mq, sq, mp, sp = i['muQ'], i['stdQ'], i['muP'], i['stdP']
        K = mq.shape[-1]
        per = 0.5 * ((sq ** 2 / sp ** 2).sum(-1) + ((mp - mq) ** 2 / sp ** 2).sum(-1) - K + (2 * torch.log(torch.clamp(sp, min=1e-8))).sum(-1) - (2 * torch.log(torch.clamp(sq, min=1e-8))).sum(-1))
        return {'kl': per.mean(), 'perSample': per}
    if kind == 'vibLoss':
        sl = i['sampledLogits']
        S, B, C = sl.shape
        if p['task'] == 'classification':
            task = F.cross_entropy(sl.reshape(S * B, C), i['labels'].long().repeat(S))
        else:
            task = ((sl.reshape(S, B) - i['labels'].double()) ** 2).mean()
        kl = vib_case('gaussianKl', {'muQ': i['mu'], 'stdQ': i['std'], 'muP': i['muP'], 'stdP': i['stdP']}, {})['kl']
        be = min(1.0, p['epoch'] * p['beta']) if p['klAnnealing'] == 'linear' else p['beta']
        return {'taskLoss': task, 'kl': kl, 'betaEff': be, 'loss': task + be * kl}
    if kind == 'relaxedBernoulliMask':
        s, u, h, tau = i['s'], i['u'], i['h'], p['temperature']
        eps = torch.finfo(torch.float64).eps
        prob = torch.clamp(torch.sigmoid(s), eps, 1 - eps).unsqueeze(1)
        uu = torch.clamp(u, eps, 1 - eps)
        samples = torch.sigmoid((torch.log(uu) - torch.log1p(-uu) + torch.log(prob) - torch.log1p(-prob)) / tau)
        z = samples.mean(1)
        mask = (z + torch.sigmoid(s)) / (1 + p['threshold'])
        return {'logProb': F.logsigmoid(s), 'relaxedSamples': samples, 'z': z, 'mask': mask, 'hMasked': mask.unsqueeze(1) * h}
    if kind == 'infoLoss':
        m = torch.sigmoid(i['s']).mean()
        return {'meanKeep': m, 'loss': (m - p['target']) ** 2}
    if kind == 'gatedAttentionPool':
        h = i['h']
        a = torch.tanh(h @ i['Wa'] + i['ba'])
        b = torch.sigmoid(h @ i['Wb'] + i['bb'])
        raw = ((a * b) @ i['Wc'] + i['bc']).T
        att = torch.softmax(raw, -1)
        M = att @ h
        logits = M @ i['Wcls'] + i['bcls']
        return {'attentionRaw': raw, 'attention': att, 'M': M, 'logits': logits, 'probabilities': torch.softmax(logits, -1)}
    raise KeyError(kind)


def diff(a, b):
    if isinstance(b, dict):
        return max(abs(x - y) for x, y in zip(a['data'], b['data'])) if a['data'] else 0.0
    if isinstance(b, list):
        return max(abs(x - y) for x, y in zip(a['data'], b))
    return abs(a - b)


def run(pkg, fn, write):
    path = os.path.join(ROOT, 'packages', pkg, 'src', 'fixtures', f'{pkg}.json')
    doc = json.load(open(path))
    worst = {}
    for c in doc['cases']:
        if c['expected'] == 'error':
            continue
        inputs = {k: T(v) for k, v in c['inputs'].items()}
        got = {k: J(v) if not isinstance(v, int) else v for k, v in fn(c['kind'], inputs, c.get('params', {})).items()}
        for k, v in c['expected'].items():
            if k not in got:
                raise SystemExit(f'{c["name"]}: the reference does not compute "{k}"')
            want = v
            g = got[k]
            if isinstance(want, list):  # plain number lists (schedules)
                g = {'data': g['data'] if isinstance(g, dict) else [g]}
            d = diff(g, want) if not isinstance(want, int) else abs(g - want)
            worst[c['kind']] = max(worst.get(c['kind'], 0.0), d)
            if write:
                c['expected'][k] = (g['data'] if isinstance(want, list) else got[k]) if not isinstance(want, int) else got[k]
    for k, v in worst.items():
        print(f'{pkg} {k}: max |regenerated − committed| = {v:.3e}')
    if write:
        json.dump(doc, open(path, 'w'), indent=1)


if __name__ == '__main__':
    write = '--write' in sys.argv
    pkgs = [a for a in sys.argv[1:] if not a.startswith('--')] or ['distill', 'vib']
    for p in pkgs:
        run(p, {'distill': distill_case, 'vib': vib_case}[p], write)
