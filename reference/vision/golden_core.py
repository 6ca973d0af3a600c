#!/usr/bin/env python3
"""Reference values of @lel/core's golden cases (packages/core/src/fixtures/core.json and core/*.safetensors),
recomputed from each case's inputs with float64 PyTorch 1.13 (losses, layers, optimisers, clip_grad_norm_, LR
schedules), SciPy (linear_sum_assignment, Student t, pearsonr, spearmanr) and scikit-learn (f1_score,
matthews_corrcoef); the safetensors dtype files are rewritten with the official layout (aligned: wider dtypes first,
then by name; misaligned: the reverse) and decoded with a strict parser that must also reject the corrupted variants.
Run: /usr/bin/python3 reference/vision/golden_core.py [--check]"""
import itertools
import json
import math
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'common'))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from scipy import stats  # noqa: E402
from scipy.optimize import linear_sum_assignment  # noqa: E402
from sklearn.metrics import f1_score, matthews_corrcoef  # noqa: E402

from fixtures import REPO, Mismatch  # noqa: E402
from golden import arr, regenerate, tensor  # noqa: E402

T = lambda v: torch.tensor(arr(v))  # noqa: E731


def cross_entropy(i, p, c):
    logits = T(i['logits']).requires_grad_(True)
    y = torch.tensor(arr(i['labels'], np.int64))
    C = logits.shape[-1]
    loss = F.cross_entropy(logits.reshape(-1, C), y.reshape(-1), ignore_index=int(p['ignoreIndex']), label_smoothing=p['labelSmoothing'])
    (g,) = torch.autograd.grad(loss, logits)
    return {'loss': float(loss), 'gradLogits': tensor(g)}


def kl_div(i, p, c):
    pl, ql = T(i['pLogits']), T(i['qLogits']).requires_grad_(True)
    C = ql.shape[-1]
    loss = F.kl_div(F.log_softmax(ql, -1).reshape(-1, C), F.softmax(pl, -1).reshape(-1, C), reduction='sum') / ql.shape[0]
    (g,) = torch.autograd.grad(loss, ql)
    return {'loss': float(loss), 'gradQLogits': tensor(g)}


def softmax_mse(i, p, c):
    return {'loss': float(((F.softmax(T(i['a']), -1) - F.softmax(T(i['b']), -1)) ** 2).mean())}


def entropy(i, p, c):
    l = F.log_softmax(T(i['logits']), -1)  # noqa: E741
    per = -(torch.exp(l) * l).sum(-1)
    return {'loss': float(per.mean()), 'perPosition': tensor(per)}


def confusion(i, p, c):
    pred, tgt = arr(i['pred'], np.int64).reshape(-1), arr(i['target'], np.int64).reshape(-1)
    K = int(p['numClasses'])
    keep = tgt != p['ignoreIndex']
    cm = np.zeros((K, K), dtype=np.int64)
    np.add.at(cm, (tgt[keep], pred[keep]), 1)
    inter = np.diag(cm).astype(np.float64)
    union = cm.sum(1) + cm.sum(0) - np.diag(cm)
    iou = inter / (union + np.finfo(np.float64).eps)
    present = union > 0
    return {'confusion': tensor(cm), 'intersection': tensor(inter), 'union': tensor(union), 'perClassIoU': tensor(iou), 'miouAllClasses': float(iou.mean()),
            'miouPresent': float((inter[present] / union[present]).mean()), 'pixelAccuracy': float(inter.sum() / keep.sum()), 'numValid': int(keep.sum())}


def hungarian(i, p, c):
    counts = arr(i['counts'], np.int64)
    K = counts.shape[0]
    rows, cols = linear_sum_assignment(counts, maximize=True)
    mapping = np.zeros(K, dtype=np.int64)
    mapping[rows] = cols
    best = int(counts[rows, cols].sum())
    optimal = [list(pm) for pm in itertools.permutations(range(K)) if counts[np.arange(K), list(pm)].sum() == best]
    return {'mapping': tensor(mapping), 'matched': best, 'accuracy': best / counts.sum(), 'allOptimalMappings': tensor(optimal), 'numOptimal': len(optimal)}


def mean_ci(i, p, c):
    v = arr(i['values'])
    tq = stats.t.ppf((1 + p['confidence']) / 2, len(v) - 1)
    sd = v.std(ddof=1)
    return {'mean': float(v.mean()), 'halfWidth': float(tq * sd / math.sqrt(len(v))), 'tQuantile': float(tq), 'stdDdof1': float(sd)}


def f1(i, p, c):
    yt, yp = arr(i['yTrue'], np.int64), arr(i['yPred'], np.int64)
    return {'f1': float(f1_score(yt, yp, average='binary', zero_division=0)), 'tp': int(((yt == 1) & (yp == 1)).sum()), 'fp': int(((yt == 0) & (yp == 1)).sum()), 'fn': int(((yt == 1) & (yp == 0)).sum())}


def mcc(i, p, c):
    return {'mcc': float(matthews_corrcoef(arr(i['yTrue'], np.int64), arr(i['yPred'], np.int64)))}


def pearson(i, p, c):
    return {'r': float(stats.pearsonr(arr(i['x']), arr(i['y']))[0])}


def spearman(i, p, c):
    x, y = arr(i['x']), arr(i['y'])
    return {'rho': float(stats.spearmanr(x, y)[0]), 'ranksX': tensor(stats.rankdata(x, method='average')), 'ranksY': tensor(stats.rankdata(y, method='average'))}


def resize(i, p, c):
    x = T(i['images']).permute(0, 3, 1, 2)
    out = F.interpolate(x, size=(int(p['outHeight']), int(p['outWidth'])), mode='bilinear', align_corners=bool(p['alignCorners']))
    return {'out': tensor(out.permute(0, 2, 3, 1))}


def pixel_shuffle(i, p, c):
    return {'out': tensor(F.pixel_shuffle(T(i['x']).permute(0, 3, 1, 2), int(p['upscale'])).permute(0, 2, 3, 1))}


def layer_norm(i, p, c):
    x = T(i['x'])
    return {'out': tensor(F.layer_norm(x, x.shape[-1:], T(i['gamma']), T(i['beta']), eps=p['eps']))}


def bn(training):
    def h(i, p, c):
        x = T(i['x']).permute(0, 3, 1, 2)
        rm, rv = T(i['runningMean']), T(i['runningVar'])
        m0, v0 = rm.clone(), rv.clone()
        out = F.batch_norm(x, rm, rv, T(i['gamma']), T(i['beta']), training=training, momentum=p.get('momentum', 0.1), eps=p['eps'])
        res = {'out': tensor(out.permute(0, 2, 3, 1))}
        if training:
            mean = x.mean(dim=(0, 2, 3))
            res.update({'batchMean': tensor(mean), 'batchVarBiased': tensor(x.var(dim=(0, 2, 3), unbiased=False)), 'batchVarUnbiased': tensor(x.var(dim=(0, 2, 3), unbiased=True)),
                        'newRunningMean': tensor(rm), 'newRunningVar': tensor(rv)})
        return res
    return h


def conv_dilated(i, p, c):
    x, K, b = T(i['x']).permute(0, 3, 1, 2), T(i['kernel']).permute(3, 2, 0, 1), T(i['bias'])
    d = int(p['dilation'])
    return {'out': tensor(F.conv2d(x, K, b, stride=int(p['stride']), padding=d * (K.shape[-1] - 1) // 2, dilation=d).permute(0, 2, 3, 1))}


def optimiser_steps(make):
    def h(i, p, c):
        params = [torch.nn.Parameter(T(i['param0'])), torch.nn.Parameter(T(i['param1']))]
        grads = [T(i['grads0']), T(i['grads1'])]
        opt = make(params, p)
        hist = [[], []]
        for s in range(int(p['steps'])):
            for k in range(2):
                params[k].grad = grads[k][s].clone()
            opt.step()
            for k in range(2):
                hist[k].append(params[k].detach().clone().numpy())
        return {'param0Steps': tensor(np.stack(hist[0])), 'param1Steps': tensor(np.stack(hist[1]))}
    return h


def poly(i, p, c):
    return {'lr': tensor([p['baseLr'] * (1 - t / p['maxIter']) ** p['power'] for t in arr(i['iters'])])}


def cosine_warmup(i, p, c):
    w, tot, base = p['warmupSteps'], p['totalSteps'], p['baseLr']
    out = []
    for t in arr(i['steps']):
        if t < w:
            out.append(base * t / w)
        else:
            prog = min(1.0, (t - w) / max(1, tot - w))
            out.append(base * 0.5 * (1 + math.cos(math.pi * prog)))
    return {'lr': tensor(out)}


def clip(i, p, c):
    gs = [T(i[f'grad{k}']) for k in range(3)]
    params = [torch.nn.Parameter(torch.zeros_like(g)) for g in gs]
    for q, g in zip(params, gs):
        q.grad = g.clone()
    total = torch.nn.utils.clip_grad_norm_(params, p['maxNorm'], norm_type=p['normType'])
    return {'totalNorm': float(total), **{f'clipped{k}': tensor(q.grad) for k, q in enumerate(params)}}


DTYPES = {'F64': ('<f8', 8), 'F32': ('<f4', 4), 'F16': ('<f2', 2), 'BF16': (None, 2), 'I64': ('<i8', 8), 'I32': ('<i4', 4), 'U8': ('u1', 1)}


def parse_strict(raw):
    """A safetensors parser that rejects what the official one rejects: a header past the end, non-JSON, offsets that
    leave the buffer, overlap or leave gaps, sizes that do not match the shape."""
    if len(raw) < 8:
        raise ValueError('short file')
    (n,) = struct.unpack('<Q', raw[:8])
    if 8 + n > len(raw):
        raise ValueError('header past EOF')
    header = json.loads(raw[8:8 + n].decode('utf8'))
    meta = header.pop('__metadata__', {})
    buf = raw[8 + n:]
    spans = sorted((e['data_offsets'][0], e['data_offsets'][1], k) for k, e in header.items())
    pos = 0
    for b, e, k in spans:
        if b != pos or e < b:
            raise ValueError(f'{k}: offsets overlap or leave a gap')
        pos = e
    if pos != len(buf):
        raise ValueError('offsets do not cover the buffer')
    out = {}
    for k, e in header.items():
        b, end = e['data_offsets']
        dt, size = DTYPES[e['dtype']]
        count = int(np.prod(e['shape'])) if e['shape'] else 1
        if end - b != count * size:
            raise ValueError(f'{k}: {end - b} bytes for shape {e["shape"]}')
        chunk = buf[b:end]
        if e['dtype'] == 'BF16':
            vals = (np.frombuffer(chunk, '<u2').astype(np.uint32) << 16).view(np.float32).astype(np.float64)
        else:
            vals = np.frombuffer(chunk, dt).astype(np.float64)
        out[k] = vals.reshape(e['shape'])
    return out, meta


def encode(dtype, values):
    v = np.asarray(values, dtype=np.float64)
    if dtype == 'BF16':
        return (v.astype(np.float32).view(np.uint32) >> 16).astype('<u2').tobytes()
    return v.astype(DTYPES[dtype][0]).tobytes()


def write_dtype_file(path, expected, dtypes, metadata, misaligned):
    """The official serializer's layout (dtype size descending, then name; `misaligned`: the reverse order, so wide
    tensors start at odd offsets), header padded with spaces to a multiple of 8."""
    names = sorted(dtypes, key=lambda k: (-DTYPES[dtypes[k]][1], k))
    if misaligned:
        names = sorted(dtypes, key=lambda k: (DTYPES[dtypes[k]][1], k))
    header, blobs, pos = {'__metadata__': metadata}, [], 0
    for k in names:
        data = encode(dtypes[k], expected[k]['data'])
        header[k] = {'dtype': dtypes[k], 'shape': expected[k]['shape'], 'data_offsets': [pos, pos + len(data)]}
        blobs.append(data)
        pos += len(data)
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    return struct.pack('<Q', len(h)) + h + b''.join(blobs)


def safetensors_case(i, p, c):
    base = c['dir']
    if 'edits' in p:
        raw = bytearray(open(os.path.join(base, p['base']), 'rb').read())
        for e in p['edits']:
            if e['op'] == 'overwrite':
                raw[e['offset']:e['offset'] + len(e['bytes'])] = bytes(e['bytes'])
            else:
                raw = raw[:e['length']]
        try:
            parse_strict(bytes(raw))
        except Exception:
            return 'error'
        raise Mismatch(f'{c["case"]["name"]}: the strict parser accepted a corrupted file')
    path = os.path.join(base, p['checkpoint'])
    old = c['case']['expected']
    committed = open(path, 'rb').read()
    meta = parse_strict(committed)[1]
    rebuilt = write_dtype_file(path, old, p['dtypes'], meta, bool(p['misalignedTensors']))
    if rebuilt != committed:
        if CHECK:
            raise Mismatch(f'{p["checkpoint"]}: rewriting it from the case gives different bytes')
        open(path, 'wb').write(rebuilt)
    decoded, _ = parse_strict(rebuilt)
    return {k: tensor(v) for k, v in decoded.items()}


HANDLERS = {
    'crossEntropy': cross_entropy, 'klDivergence': kl_div, 'softmaxMse': softmax_mse, 'entropy': entropy, 'confusionMatrix': confusion,
    'hungarianMatch': hungarian, 'meanConfidenceInterval': mean_ci, 'f1Binary': f1, 'matthewsCorrcoef': mcc, 'pearson': pearson, 'spearman': spearman,
    'resizeBilinear': resize, 'pixelShuffle': pixel_shuffle, 'layerNorm': layer_norm, 'batchNorm2dTrain': bn(True), 'batchNorm2dEval': bn(False),
    'conv2dDilated': conv_dilated,
    'adamWStep': optimiser_steps(lambda ps, p: torch.optim.AdamW(ps, lr=p['lr'], betas=(p['beta1'], p['beta2']), eps=p['eps'], weight_decay=p['weightDecay'])),
    'sgdMomentumStep': optimiser_steps(lambda ps, p: torch.optim.SGD(ps, lr=p['lr'], momentum=p['momentum'], dampening=p['dampening'], weight_decay=p['weightDecay'])),
    'polyLr': poly, 'cosineWarmupLr': cosine_warmup, 'clipGradNorm': clip, 'safetensorsDtypes': safetensors_case,
}
CHECK = False


def main(check=False):
    global CHECK
    CHECK = check
    return {'core.json': regenerate('packages/core/src/fixtures/core.json', HANDLERS, check)}


if __name__ == '__main__':
    torch.set_default_dtype(torch.float64)
    print(main('--check' in sys.argv))
