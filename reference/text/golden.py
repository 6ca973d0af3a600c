#!/usr/bin/env python3
"""Regenerate the expected values of the text packages' golden fixtures (@lel/distill, @lel/vib, @lel/peft,
@lel/models; float64 PyTorch) from their committed inputs and parameters, and compare with the committed expected
values.

  /usr/bin/python3 reference/text/golden.py [--write] [distill|vib|peft|models …]

The peft and models cases are recomputed from first principles where the fixture allows it: BitFit's trainable set
from the official component → substring table and Hugging Face's BertForSequenceClassification parameter list
(checked against the fixture's list), parameter counts from the config, peft LoKr's `factorization`, the tiny-BERT
forwards from the committed safetensors checkpoints (F16 decoded exactly), and WordPiece from a Python port of
Hugging Face's BertTokenizer (BasicTokenizer + WordpieceTokenizer) with tokenizers' longest_first truncation.

Without --write nothing is written: it prints, per kind, the largest |regenerated − committed| (a regression in this
reference or a hand-edited fixture shows up here). With --write the fixtures' `expected` fields are replaced by the
regenerated values (inputs, parameters, tolerances and texts unchanged)."""
import json
import math
import os
import sys

import unicodedata

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'common'))
import lel_ref as R  # noqa: E402
import safetensors_io as S  # noqa: E402

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


# ----------------------------------------------------------------------------------------------- peft
# benzakenelad/BitFit: component → the bias-name substring it unfreezes; pooler.dense.bias and the classifier always.
BITFIT_SUBSTRINGS = {
    'query': 'attention.self.query.bias', 'key': 'attention.self.key.bias', 'value': 'attention.self.value.bias',
    'output': 'output.dense.bias', 'intermediate': 'intermediate.dense.bias',
    'attention_layernorm': 'attention.output.LayerNorm.bias', 'output_layernorm': 'output.LayerNorm.bias', 'all': 'bias',
}


def hf_classifier_parameters(cfg, num_labels):
    """named_parameters() of transformers' BertForSequenceClassification: (name, shape) in registration order."""
    h, f = cfg['hidden_size'], cfg['intermediate_size']
    out = [('bert.embeddings.word_embeddings.weight', [cfg['vocab_size'], h]), ('bert.embeddings.position_embeddings.weight', [cfg['max_position_embeddings'], h]),
           ('bert.embeddings.token_type_embeddings.weight', [cfg['type_vocab_size'], h]), ('bert.embeddings.LayerNorm.weight', [h]), ('bert.embeddings.LayerNorm.bias', [h])]
    for l in range(cfg['num_hidden_layers']):
        b = f'bert.encoder.layer.{l}.'
        for m in ('query', 'key', 'value'):
            out += [(f'{b}attention.self.{m}.weight', [h, h]), (f'{b}attention.self.{m}.bias', [h])]
        out += [(f'{b}attention.output.dense.weight', [h, h]), (f'{b}attention.output.dense.bias', [h]),
                (f'{b}attention.output.LayerNorm.weight', [h]), (f'{b}attention.output.LayerNorm.bias', [h]),
                (f'{b}intermediate.dense.weight', [f, h]), (f'{b}intermediate.dense.bias', [f]),
                (f'{b}output.dense.weight', [h, f]), (f'{b}output.dense.bias', [h]),
                (f'{b}output.LayerNorm.weight', [h]), (f'{b}output.LayerNorm.bias', [h])]
    out += [('bert.pooler.dense.weight', [h, h]), ('bert.pooler.dense.bias', [h]), ('classifier.weight', [num_labels, h]), ('classifier.bias', [num_labels])]
    return out


def numel(shape):
    return int(np.prod(shape)) if shape else 1


def peft_factorization(dimension, factor=-1):
    """peft's `lokr.layer.factorization` (from LyCORIS)."""
    if factor > 0 and dimension % factor == 0:
        return factor, dimension // factor
    if factor == -1:
        factor = dimension
    m, n = 1, dimension
    length = m + n
    while m < n:
        new_m = m + 1
        while dimension % new_m != 0:
            new_m += 1
        new_n = dimension // new_m
        if new_m + new_n > length or new_m > factor:
            break
        m, n = new_m, new_n
    if m > n:
        n, m = m, n
    return m, n


def heads(x, H):
    """[B, T, H*d] → [B, H, T, d] (contiguous d-blocks per head)."""
    B, Tn, D = x.shape
    return x.reshape(B, Tn, H, D // H).permute(0, 2, 1, 3)


def peft_case(kind, i, p):
    if kind == 'bitfitTrainable':
        params = hf_classifier_parameters(p['config'], p['numLabels'])
        given = [(e['name'], e['shape']) for e in i['parameters']]
        if given != params:
            raise SystemExit('bitfitTrainable: the fixture\'s parameter list is not transformers\' BertForSequenceClassification')
        subs = [BITFIT_SUBSTRINGS[c] for c in p['components']] + ['pooler.dense.bias', 'classifier']
        if subs != p['substrings']:
            raise SystemExit(f'bitfitTrainable: substrings {p["substrings"]} differ from the official table {subs}')
        names = [n for n, _ in params if any(s in n for s in subs)]
        tr = sum(numel(sh) for n, sh in params if n in names)
        tot = sum(numel(sh) for _, sh in params)
        return {'trainableNames': names, 'trainable': tr, 'total': tot, 'percent': 100 * tr / tot}
    if kind == 'keyBiasInvariance':
        q, k, bk, d = i['q'], i['k'], i['b_k'], p['dHead']
        probs = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d), -1)
        withb = torch.softmax(q @ (k + bk.unsqueeze(1)).transpose(-1, -2) / math.sqrt(d), -1)
        return {'probs': probs, 'probsWithBias': withb, 'rowShift': (q * bk.unsqueeze(1)).sum(-1) / math.sqrt(d)}
    if kind == 'relBitFitScores':
        z, H, L, d = i['z'], p['numHeads'], p['L_max'], p['dHead']
        Tn = z.shape[1]
        qx = z @ i['W_q']
        q, k = heads(qx + i['b_q'], H), heads(z @ i['W_k'] + i['b_k'], H)
        pos = torch.arange(Tn)
        bucket = torch.clamp(pos[:, None] - pos[None, :], -L, L) + L
        if p['variant'] == 'perHead':
            rk, s = i['R'], i['s']
        elif p['variant'] == 'tied':
            rk, s = i['R'].unsqueeze(0).expand(H, -1, -1), i['s'].unsqueeze(0).expand(H, -1)
        else:  # lowRank: rows of U V split into heads in contiguous d_head blocks
            rk, s = (i['U'] @ i['V']).reshape(2 * L + 1, H, d).permute(1, 0, 2), i['s']
        rel = torch.einsum('bhid,hijd->bhij', heads(qx, H), rk[:, bucket])
        logits = (q @ k.transpose(-1, -2) + rel + s[:, bucket].unsqueeze(0)) / math.sqrt(d)
        return {'logits': logits, 'probs': torch.softmax(logits, -1), 'buckets': bucket}
    if kind in ('kronaForward', 'kronaMerge'):
        x, W, b, A, B = i['x'], i['W'], i['b'], i['A'], i['B']
        dk = torch.kron(A, B)
        if kind == 'kronaMerge':
            m = W + p['s'] * dk
            return {'mergedKernel': m, 'y': x @ W + b + p['s'] * (x @ dk), 'yMerged': x @ m + b, 'restoredKernel': m - p['s'] * dk}
        a1, b1 = A.shape[0], B.shape[0]
        lead = x.shape[:-1]
        xr = x.reshape(-1, a1, b1)
        ad = p['s'] * (A.T @ xr @ B).reshape(*lead, -1)
        return {'y': x @ W + b + ad, 'deltaKernel': dk, 'adapterOut': ad}
    if kind == 'kronaBlock':
        x = i['x']
        ffn = R.gelu(x @ i['W1'] + i['b1']) @ i['W2'] + i['b2']
        ad = p['s'] * (x @ torch.kron(i['A'], i['B']))
        out = {'ffn': ffn, 'adapter': ad, 'y': ffn + ad}
        if p['variant'] == 'KronA^B_res':
            out['residual'] = p['s_res'] * x
            out['y'] = ffn + ad + out['residual']
        return out
    if kind == 'loraForward':
        x, r = i['x'], p['r']
        sc = p['alpha'] / (math.sqrt(r) if p['useRslora'] else r)
        base = x @ i['W'] + i['b']
        delta = sc * (x @ i['A'] @ i['B'])
        return {'y': base + delta, 'base': base, 'delta': delta, 'scaling': sc}
    if kind == 'lokrFactorization':
        if 'dims' in i:
            return {'pairs': torch.tensor([peft_factorization(int(d), p['factor']) for d in i['dims'].tolist()])}
        layers = []
        for L_ in p['layers']:
            r, f = L_['r'], L_['decomposeFactor']
            in_m, in_n = peft_factorization(L_['inFeatures'], f)
            out_l, out_k = peft_factorization(L_['outFeatures'], f)
            sh = {}
            if L_['decomposeBoth'] and r < max(out_l, in_m) / 2:
                sh['lokr_w1_a'], sh['lokr_w1_b'] = [out_l, r], [r, in_m]
            else:
                sh['lokr_w1'] = [out_l, in_m]
            if r < max(out_k, in_n) / 2:
                sh['lokr_w2_a'], sh['lokr_w2_b'] = [out_k, r], [r, in_n]
            else:
                sh['lokr_w2'] = [out_k, in_n]
            layers.append({'shapes': sh, 'adapterParams': sum(numel(v) for v in sh.values())})
        return {'layers': layers}
    if kind == 'paramCounts':
        cfg, C = p['config'], p['numLabels']
        params = hf_classifier_parameters(cfg, C)
        base = sum(numel(sh) for _, sh in params)
        head = sum(numel(sh) for n, sh in params if n.startswith('classifier'))
        h, f, nl = cfg['hidden_size'], cfg['intermediate_size'], cfg['num_hidden_layers']
        dims = {'query': (h, h), 'key': (h, h), 'value': (h, h), 'dense': (h, h), 'intermediate': (h, f), 'output': (f, h)}
        adapters = 0
        if p['method'] == 'full':
            tr = base
        elif p['method'] == 'bitfit':
            tr = sum(numel(sh) for n, sh in params if any(BITFIT_SUBSTRINGS[c] in n for c in p['components']) or n.startswith('classifier'))
        elif p['method'] == 'lora':
            adapters = nl * sum(p['r'] * (dims[t][0] + dims[t][1]) for t in p['targetModules'])
            tr = adapters + head
        elif p['method'] == 'krona':
            adapters = nl * len(p['targetModules']) * (numel(p['aShape']) + numel(p['bShape']))
            tr = adapters + head
        else:
            raise KeyError(p['method'])
        return {'trainable': tr, 'all': base + adapters, 'percent': 100 * tr / (base + adapters), 'adapterParams': adapters, 'baseParams': base}
    raise KeyError(kind)


# ----------------------------------------------------------------------------------------------- models
def hf_bert_forward(P, cfg, ids, mask, tt, prefix, eps, mask_value):
    """transformers' BertModel + pooler + classifier (eval mode) on HF-named [out, in] tensors, float64."""
    g = lambda n: P[prefix + n]  # noqa: E731
    ln = lambda x, n: F.layer_norm(x, x.shape[-1:], g(n + '.weight'), g(n + '.bias'), eps)  # noqa: E731
    lin = lambda x, n: x @ g(n + '.weight').T + g(n + '.bias')  # noqa: E731
    B, Tn = ids.shape
    H = cfg['num_attention_heads']
    d = cfg['hidden_size'] // H
    x = g('embeddings.word_embeddings.weight')[ids] + g('embeddings.position_embeddings.weight')[torch.arange(Tn)][None] + g('embeddings.token_type_embeddings.weight')[tt]
    x = ln(x, 'embeddings.LayerNorm')
    add = (1.0 - mask.double())[:, None, None, :] * mask_value
    for l in range(cfg['num_hidden_layers']):
        b = f'encoder.layer.{l}.'
        q, k, v = (heads(lin(x, b + 'attention.self.' + m), H) for m in ('query', 'key', 'value'))
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d) + add, -1) @ v
        a = a.permute(0, 2, 1, 3).reshape(B, Tn, -1)
        x = ln(lin(a, b + 'attention.output.dense') + x, b + 'attention.output.LayerNorm')
        x = ln(lin(R.gelu(lin(x, b + 'intermediate.dense')), b + 'output.dense') + x, b + 'output.LayerNorm')
    pooled = torch.tanh(lin(x[:, 0], 'pooler.dense'))
    return x, pooled


def load_hf_checkpoint(path):
    """{name: float64 tensor} with legacy LayerNorm gamma/beta renamed weight/bias (F16 decoded exactly)."""
    raw, _ = S.read(path)
    out = {}
    for n, a in raw.items():
        n = n.replace('LayerNorm.gamma', 'LayerNorm.weight').replace('LayerNorm.beta', 'LayerNorm.bias')
        out[n] = torch.from_numpy(np.asarray(a, dtype=np.float64)) if a.dtype.kind == 'f' else torch.from_numpy(a.astype(np.int64))
    return out


def is_punct(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith('P')


def is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F
            or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokenize(text, p):
    """transformers' BasicTokenizer (clean text, CJK padding, lowercase + strip accents, punctuation split)."""
    if p['cleanText']:
        out = []
        for ch in text:
            cp = ord(ch)
            if cp == 0 or cp == 0xFFFD or (unicodedata.category(ch).startswith('C') and ch not in '\t\n\r'):
                continue
            out.append(' ' if ch in ' \t\n\r' or unicodedata.category(ch) == 'Zs' else ch)
        text = ''.join(out)
    if p['handleChineseChars']:
        text = ''.join(f' {c} ' if is_cjk(ord(c)) else c for c in text)
    words = []
    for w in text.strip().split():
        if p['lowercase']:
            w = w.lower()
        if p['stripAccents']:
            w = ''.join(c for c in unicodedata.normalize('NFD', w) if unicodedata.category(c) != 'Mn')
        cur = ''
        for c in w:
            if is_punct(c):
                if cur:
                    words.append(cur)
                words.append(c)
                cur = ''
            else:
                cur += c
        if cur:
            words.append(cur)
    return words


def wordpiece(words, vocab, p):
    out = []
    for w in words:
        if len(w) > p['maxInputCharsPerWord']:
            out.append(p['unkToken'])
            continue
        pieces, start, bad = [], 0, False
        while start < len(w):
            end, cur = len(w), None
            while start < end:
                sub = w[start:end] if start == 0 else p['continuingSubwordPrefix'] + w[start:end]
                if sub in vocab:
                    cur = sub
                    break
                end -= 1
            if cur is None:
                bad = True
                break
            pieces.append(cur)
            start = end
        out.extend([p['unkToken']] if bad else pieces)
    return out


def tokenize_case(i, p):
    vocab = {t: n for n, t in enumerate(p['vocab'])}
    a = wordpiece(basic_tokenize(i['text'], p), vocab, p)
    b = wordpiece(basic_tokenize(i['textPair'], p), vocab, p) if 'textPair' in i else None
    ml = p['maxLength']
    if p['truncation'] and ml is not None:
        if b is None:
            a = a[:ml - 2]
        else:
            M = ml - 3
            if len(a) + len(b) > M:
                short_first = len(a) <= len(b)
                ns = len(a) if short_first else len(b)
                if ns <= M - ns:
                    keep, cut = ns, M - ns
                else:
                    keep, cut = M // 2, M - M // 2
                if short_first:
                    a, b = a[:keep], b[:cut]
                else:
                    a, b = a[:cut], b[:keep]
    toks = ['[CLS]'] + a + ['[SEP]']
    tt = [0] * len(toks)
    if b is not None:
        toks += b + ['[SEP]']
        tt += [1] * (len(b) + 1)
    am = [1] * len(toks)
    if p['padding'] == 'max_length':
        pad = ml - len(toks)
        toks, tt, am = toks + ['[PAD]'] * pad, tt + [0] * pad, am + [0] * pad
    ids = [vocab[t] for t in toks]
    iv = lambda v: {'shape': [len(v)], 'data': v}  # noqa: E731
    return {'tokens': toks, 'input_ids': iv(ids), 'token_type_ids': iv(tt), 'attention_mask': iv(am)}


def check_model_checkpoints(folder):
    """The variant checkpoints are tiny-bert.safetensors re-encoded: legacy gamma/beta names (+ position_ids and
    cls.* pretraining heads the loader must ignore), no 'bert.' prefix, F16 rounding; the classifier only in the base."""
    d = os.path.join(folder, 'models')
    base = S.read(os.path.join(d, 'tiny-bert.safetensors'))[0]
    enc = {k: v for k, v in base.items() if not k.startswith('classifier.')}
    legacy = S.read(os.path.join(d, 'tiny-bert-legacy.safetensors'))[0]
    ren = lambda n: n.replace('LayerNorm.weight', 'LayerNorm.gamma').replace('LayerNorm.bias', 'LayerNorm.beta')  # noqa: E731
    checks = {
        'legacy = base renamed': all(np.array_equal(v, legacy[ren(k)]) for k, v in enc.items())
        and np.array_equal(legacy['bert.embeddings.position_ids'], np.arange(24)[None])
        and set(legacy) - {ren(k) for k in enc} - {'bert.embeddings.position_ids'} == {k for k in legacy if k.startswith('cls.')},
        'noprefix = base unprefixed': (lambda t: set(t) == {k[5:] for k in enc} and all(np.array_equal(enc['bert.' + k], v) for k, v in t.items()))(S.read(os.path.join(d, 'tiny-bert-noprefix.safetensors'))[0]),
        'f16 = base rounded': (lambda t: set(t) == set(enc) and all(t[k].dtype == np.float16 and np.array_equal(enc[k].astype(np.float16), t[k]) for k in t))(S.read(os.path.join(d, 'tiny-bert-f16.safetensors'))[0]),
    }
    for k, ok in checks.items():
        print(f'models checkpoints: {k}: {"ok" if ok else "MISMATCH"}')
    return all(checks.values())


def models_case(kind, i, p, folder):
    if kind == 'tinyBertForward':
        P = load_hf_checkpoint(os.path.join(folder, p['checkpoint']))
        ids, mask, tt = i['input_ids'].long(), i['attention_mask'], i['token_type_ids'].long()
        h, pooled = hf_bert_forward(P, p['config'], ids, mask, tt, p['prefix'], p['layerNormEps'], p['maskValue'])
        out = {'last_hidden_state': h, 'pooler_output': pooled}
        if 'classifier.weight' in P:
            out['logits'] = pooled @ P['classifier.weight'].T + P['classifier.bias']
        return out
    if kind == 'wordpieceTokenize':
        return tokenize_case(i, p)
    raise KeyError(kind)


def diff(a, b):
    if isinstance(b, dict):
        return max(abs(x - y) for x, y in zip(a['data'], b['data'])) if a['data'] else 0.0
    if isinstance(b, list):
        return max(abs(x - y) for x, y in zip(a['data'], b))
    return abs(a - b)


def same(a, b):
    """Largest difference between a regenerated value and a committed one (structures must match exactly)."""
    if isinstance(b, dict) and 'shape' in b:
        if list(a['shape']) != list(b['shape']):
            return math.inf
        return max((abs(x - y) for x, y in zip(a['data'], b['data'])), default=0.0)
    if isinstance(b, dict):
        return math.inf if set(a) != set(b) else max((same(a[k], b[k]) for k in b), default=0.0)
    if isinstance(b, list):
        if not isinstance(a, list) or len(a) != len(b):
            return math.inf
        return max((same(x, y) for x, y in zip(a, b)), default=0.0)
    if isinstance(b, str):
        return 0.0 if a == b else math.inf
    return abs(a - b)


def plain(v):
    """A regenerated value in the fixture's JSON form (tensors as {shape, data}; integer tensors as ints)."""
    if isinstance(v, torch.Tensor):
        if v.dim() == 0:
            return float(v)
        ints = not v.is_floating_point()
        return {'shape': list(v.shape), 'data': [int(x) if ints else float(x) for x in v.reshape(-1).tolist()]}
    if isinstance(v, dict):
        return {k: plain(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [plain(x) for x in v]
    return v


def run(pkg, fn, write):
    path = os.path.join(ROOT, 'packages', pkg, 'src', 'fixtures', f'{pkg}.json')
    folder = os.path.dirname(path)
    doc = json.load(open(path))
    worst = {}
    for c in doc['cases']:
        if c['expected'] == 'error':
            continue
        inputs = {k: T(v) for k, v in c['inputs'].items()}
        regenerated = fn(c['kind'], inputs, c.get('params', {}), folder) if pkg == 'models' else fn(c['kind'], inputs, c.get('params', {}))
        if pkg in ('distill', 'vib'):
            got = {k: J(v) if not isinstance(v, int) else v for k, v in regenerated.items()}
        else:
            got = {k: plain(v) for k, v in regenerated.items()}
        for k, v in c['expected'].items():
            if k not in got:
                raise SystemExit(f'{c["name"]}: the reference does not compute "{k}"')
            want = v
            g = got[k]
            if pkg in ('distill', 'vib'):
                if isinstance(want, list):  # plain number lists (schedules)
                    g = {'data': g['data'] if isinstance(g, dict) else [g]}
                d = diff(g, want) if not isinstance(want, int) else abs(g - want)
            else:
                d = same(g, want)
            worst[c['kind']] = max(worst.get(c['kind'], 0.0), d)
            if write:
                if pkg in ('distill', 'vib'):
                    c['expected'][k] = (g['data'] if isinstance(want, list) else got[k]) if not isinstance(want, int) else got[k]
                else:
                    c['expected'][k] = g
    for k, v in worst.items():
        print(f'{pkg} {k}: max |regenerated − committed| = {v:.3e}')
    if write:
        json.dump(doc, open(path, 'w'), indent=1)
    return worst


if __name__ == '__main__':
    write = '--write' in sys.argv
    pkgs = [a for a in sys.argv[1:] if not a.startswith('--')] or ['distill', 'vib', 'peft', 'models']
    bad = False
    for p in pkgs:
        worst = run(p, {'distill': distill_case, 'vib': vib_case, 'peft': peft_case, 'models': models_case}[p], write)
        bad |= any(v > 1e-9 for v in worst.values())
        if p == 'models':
            bad |= not check_model_checkpoints(os.path.join(ROOT, 'packages', 'models', 'src', 'fixtures'))
    sys.exit(1 if bad and not write else 0)
