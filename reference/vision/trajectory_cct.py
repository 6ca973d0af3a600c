#!/usr/bin/env python3
"""CCT trajectory fixtures for @lel/cct's trajectory.test.ts: the same network (SmallConvEncoder [4, 8], output
stride 2, CCT decoders), the same initial weights, batches and perturbation noise as LEL's `trainCct`, trained in
float64 PyTorch for 60 steps. Two runs: semi-supervised (7 auxiliary decoders, one per perturbation, I-VAT
included; SGD + poly + sigmoid ramp-up + BatchNorm) and supervised-only (the official decoder with its final ReLU).

Writes packages/cct/src/fixtures/trajectory/cct-{semi,supervised}.{json,safetensors}: per-step loss parts and
learning rate, and a safetensors file with the data (`data.*`), initial weights (`init.*`) and final weights and
BatchNorm statistics (`final.*`, float64). Run: /usr/bin/python3 reference/vision/trajectory_cct.py [--check]"""
import math
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'common'))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402

from cct_train import train_cct  # noqa: E402
from fixtures import emit  # noqa: E402

GENERATOR = 'reference/vision/trajectory_cct.py (PyTorch 1.13, float64)'
STEPS = 60


def scenes(g, n, size=16):
    """Tiny 3-class scenes: a background gradient, class 1 = a square, class 2 = a disk, random colours."""
    x = np.zeros((n, size, size, 3), dtype=np.float32)
    y = np.zeros((n, size, size), dtype=np.int32)
    yy, xx = np.mgrid[0:size, 0:size]
    for i in range(n):
        x[i] = (0.2 * g.rand(3) * (xx[..., None] / size)).astype(np.float32)
        for _ in range(1 + g.randint(2)):
            cls = 1 + g.randint(2)
            r = 2 + g.randint(3)
            cy, cx = g.randint(r, size - r), g.randint(r, size - r)
            m = (np.abs(yy - cy) <= r) & (np.abs(xx - cx) <= r) if cls == 1 else (yy - cy) ** 2 + (xx - cx) ** 2 <= r * r
            x[i][m] = (0.5 + 0.5 * g.rand(3)).astype(np.float32)
            y[i][m] = cls
    return x, y


def init_weights(g, widths, C, aux, final_relu):
    """Kaiming-normal convs, BatchNorm at (1, 0), ICNR-style decoder blocks; float32-representable values."""
    p, b = {}, {}
    cin, j = 3, 0
    for w in widths:
        for k in range(2):
            i = cin if k == 0 else w
            p[f'encoder.convs.{j}.weight'] = g.normal(0, math.sqrt(2 / (9 * i)), (3, 3, i, w))
            p[f'encoder.norms.{j}.weight'] = 1 + 0.1 * g.normal(size=w)
            p[f'encoder.norms.{j}.bias'] = 0.1 * g.normal(size=w)
            b[f'encoder.norms.{j}.running_mean'] = np.zeros(w)
            b[f'encoder.norms.{j}.running_var'] = np.ones(w)
            j += 1
        cin = w
    F_ = widths[-1]
    for pre in ['mainDecoder'] + [f'auxDecoders.{k}.decoder' for k in range(aux)]:
        p[f'{pre}.upsample.0.weight'] = g.normal(0, math.sqrt(2 / F_), (1, 1, F_, C))
        p[f'{pre}.upsample.1.conv.weight'] = np.repeat(g.normal(0, math.sqrt(2 / C), (1, 1, C, C)), 4, axis=3)
        p[f'{pre}.upsample.1.conv.bias'] = (0.5 if final_relu else 0.0) + 0.05 * g.normal(size=4 * C)
    f32 = lambda d: {k: np.asarray(v, dtype=np.float32) for k, v in d.items()}  # noqa: E731
    return f32(p), f32(b)


def run(mode, check):
    g = np.random.RandomState(19 if mode == 'semi' else 23)
    xl, yl = scenes(g, 8)
    xu, yu = scenes(g, 12)
    final_relu = mode == 'supervised'
    aux_counts = {'vat': 1, 'dropout': 1, 'cutout': 1, 'contextMasking': 1, 'objectMasking': 1, 'featureDrop': 1, 'featureNoise': 1}
    config = {
        'numClasses': 3, 'mode': mode, 'upscale': 2, 'decoderFinalRelu': final_relu, 'ignoreIndex': 255,
        'perturbations': aux_counts if mode == 'semi' else {p: 0 for p in aux_counts},
        'vat': {'xi': 0.1, 'eps': 2.0, 'iterations': 1}, 'dropout': {'p': 0.5, 'spatial': True}, 'cutout': {'erase': 0.4, 'minPixels': 4},
        'featureDrop': {'gammaRange': [0.7, 0.9]}, 'featureNoise': {'uniformRange': 0.3},
        'loss': {'sup': 'ce', 'supWeight': 1, 'softmaxTemp': 1, 'unsup': 'mse', 'unsupWeight': 30, 'rampUp': 0.5, 'confidenceMasking': False, 'confidenceThreshold': 0.5, 'weakWeight': 0.4},
        'optim': {'lr': 0.05, 'momentum': 0.9, 'weightDecay': 1e-4, 'encoderLrScale': 0.1, 'polyPower': 0.9},
        'train': {'epochs': 20 if mode == 'semi' else 30, 'labelledBatchSize': 4, 'unlabelledBatchSize': 4, 'valEvery': 1000, 'earlyStop': 0, 'seed': 7, 'weakLabels': False},
    }
    model = {'widths': [4, 8], 'outputStride': 2}
    p32, b32 = init_weights(g, model['widths'], 3, 7 if mode == 'semi' else 0, final_relu)
    params = {k: torch.tensor(v, dtype=torch.float64, requires_grad=True) for k, v in p32.items()}
    buffers = {k: torch.tensor(v, dtype=torch.float64) for k, v in b32.items()}
    t = lambda a, dt=torch.float64: torch.tensor(a, dtype=dt)  # noqa: E731
    data = {'labelled': (t(xl), t(yl, torch.int64)), 'unlabelled': (t(xu), t(yu, torch.int64))}
    steps = []
    train_cct(params, buffers, data, {**config, 'model': model}, STEPS, on_step=lambda s, parts, lr: steps.append({**parts, 'lr': lr}))
    tensors = {'data.labelled.images': xl, 'data.labelled.labels': yl, 'data.unlabelled.images': xu, 'data.unlabelled.labels': yu}
    tensors.update({f'init.{k}': v for k, v in {**p32, **b32}.items()})
    tensors.update({f'final.{k}': v.detach().numpy() for k, v in {**params, **buffers}.items()})
    doc = {
        'generator': GENERATOR,
        'what': f'CCT {mode} training, {STEPS} SGD steps of @lel/cct trainCct (augment null) from init.* on data.*: per-step loss parts '
                '(total, sup[, unsup, weightU]) and lr; final.* = weights and BatchNorm statistics after the last step',
        'model': model,
        'config': config,
        'steps': steps,
        'tolerance': {'firstSteps': 10, 'firstStepsRtol': 1e-4, 'lossRtol': 2e-3, 'lossAtol': 1e-5, 'weightAtol': 2e-4, 'weightRtol': 2e-3},
    }
    return emit(f'packages/cct/src/fixtures/trajectory/cct-{mode}.json', doc, tensors, check=check)


def main(check=False):
    return {f'cct-{m}': run(m, check) for m in ('semi', 'supervised')}


if __name__ == '__main__':
    torch.set_num_threads(1)
    print(main('--check' in sys.argv))
