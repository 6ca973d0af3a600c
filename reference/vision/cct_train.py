"""PyTorch mirror of @lel/cct's `trainCct` on @lel/core's `fit` (packages/cct/src/train.ts, core/src/train/loop.ts):
same batch order (lel_rng streams `<seed>/labeled/<epoch>` and `<seed>/unlabeled/<cycle>`), same perturbation noise
(`<seed>/train`), SGD with momentum and coupled weight decay in two groups (encoder at lr x encoderLrScale), poly
learning rate stepped every iteration, CCT's sigmoid ramp-up of the unsupervised weight, BatchNorm in training mode
(labelled batch first, then the unlabelled one, so the running statistics update in LEL's order)."""
import math

import torch

from lel_rng import Rng
from segnet import CctNet, cross_entropy, sigmoid_rampup, softmax_mse


def labelled_batches(n, batch_size, count, rng):
    """@lel/cct labelledBatches: `count` full batches from consecutive reshuffled passes."""
    pool = []
    for _ in range(count):
        idx = []
        while len(idx) < min(batch_size, n):
            if not pool:
                pool = rng.permutation(n)
            idx.append(pool.pop(0))
        yield idx


def epoch_batches(n, batch_size, rng):
    """@lel/cct epochBatches: one pass in a fresh random order, the last batch partial."""
    order = rng.permutation(n)
    for s in range(0, n, batch_size):
        yield order[s:s + batch_size]


class CyclingStream:
    """@lel/core CyclingStream: the unlabelled source restarted with a new generator every pass."""

    def __init__(self, source, seed):
        self.source, self.seed, self.cycle, self.it = source, seed, 0, None

    def next(self):
        while True:
            if self.it is None:
                self.it = iter(self.source(Rng(f'{self.seed}/unlabeled/{self.cycle}')))
            b = next(self.it, None)
            if b is not None:
                return b
            self.cycle += 1
            self.it = None


def train_cct(params, buffers, data, cfg, steps, on_step=None):
    """Run `steps` optimiser steps of CCT (cfg: the LEL CctConfig as a dict, plus cfg['model'] = {widths, outputStride})
    on data = {'labelled': (images NHWC, labels), 'unlabelled': (images, labels)} (torch tensors). `params` are
    leaf tensors with requires_grad; `buffers` the BatchNorm statistics. Calls on_step(step, parts, lr)."""
    semi = cfg['mode'] == 'semi'
    tr = cfg['train']
    seed = str(tr['seed'])
    xl, yl = data['labelled']
    nl = xl.shape[0]
    nu = data['unlabelled'][0].shape[0] if semi else 0
    ipe = math.ceil(nu / tr['unlabelledBatchSize']) if semi else math.ceil(nl / tr['labelledBatchSize'])
    total_iters = tr['epochs'] * ipe
    if cfg['loss'].get('rampUpUnit', 'epochs') == 'iterations':
        rampup_length = round(cfg['loss']['rampUp'] * total_iters)
    else:
        rampup_length = math.floor(cfg['loss']['rampUp'] * tr['epochs']) * ipe
    net = CctNet(params, buffers, cfg['model']['widths'], cfg['model']['outputStride'], cfg['numClasses'], cfg['decoderFinalRelu'], cfg['perturbations'] if semi else {}, cfg)
    o = cfg['optim']
    groups = [(n, o['encoderLrScale'] if n.startswith('encoder.') else 1.0) for n in params]
    momentum = {}
    train_rng = Rng(f'{seed}/train')
    unl = CyclingStream(lambda rng: epoch_batches(nu, tr['unlabelledBatchSize'], rng), seed) if semi else None
    step = 0
    epoch = 0
    while step < steps and epoch < tr['epochs']:
        rng_l = Rng(f'{seed}/labeled/{epoch}')
        source = labelled_batches(nl, tr['labelledBatchSize'], ipe, rng_l) if semi else epoch_batches(nl, tr['labelledBatchSize'], rng_l)
        for idx in source:
            if step >= steps:
                break
            lr = o['lr'] * (1 - step / total_iters) ** o['polyPower'] if step < total_iters else 0.0
            w_u = cfg['loss']['unsupWeight'] * sigmoid_rampup(step, rampup_length) if semi else 0.0
            sup_logits = net.forward(xl[idx], training=True)
            sup = cross_entropy(sup_logits, yl[idx], cfg['ignoreIndex'])
            parts = {'sup': sup}
            total = sup * cfg['loss']['supWeight']
            if semi:
                uidx = unl.next()
                main, auxs = net.forward_unsup(data['unlabelled'][0][uidx], train_rng)
                target = torch.softmax(main.detach(), dim=1)
                unsup = sum(softmax_mse(a, target) for a in auxs) / len(auxs)
                parts['unsup'] = unsup
                total = total + w_u * unsup
                parts['weightU'] = torch.tensor(w_u)
            parts['total'] = total
            grads = torch.autograd.grad(total, list(params.values()), allow_unused=True)
            with torch.no_grad():
                for (name, scale), g in zip(groups, grads):
                    if g is None:
                        continue
                    p = params[name]
                    g = g + o['weightDecay'] * p
                    buf = momentum.get(name)
                    buf = g.clone() if buf is None else buf * o['momentum'] + g
                    momentum[name] = buf
                    p -= lr * scale * buf
            if on_step:
                on_step(step, {k: float(v) for k, v in parts.items()}, lr)
            step += 1
        epoch += 1
    return step
