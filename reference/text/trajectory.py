#!/usr/bin/env python3
"""Trajectory-parity fixtures of LEL's text training loops, from the float64 PyTorch reference (lel_ref.py).

Each fixture is a folder `trajectory-<name>/` with `init.safetensors` (the initial weights, LEL names and layout,
F32) and `trajectory.json` (vocabulary, batches, every noise draw, the settings, the expected per-step losses and
final values). The TypeScript tests `trajectory*.test.ts` load the same weights, feed the same batches and noise
through the package's own loop (core's `fit`, the packages' recipes and callbacks) on wasm and cpu, and compare.

  /usr/bin/python3 reference/text/trajectory.py [--check] [names…]

writes the fixtures into packages/{models,peft,vib,distill,swa}/src/fixtures/; with --check it writes nothing and
reports the largest difference between the regenerated and the committed expected values."""
import json
import os
import sys

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, '..', 'common'))
import lel_ref as R  # noqa: E402
import safetensors_io  # noqa: E402

torch.set_default_dtype(torch.float64)
STEPS = 60
N_BATCHES = 6
BATCH = 4
WORDS = [f'w{i}' for i in range(35)]
VOCAB = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'] + WORDS


def make_data(seed, num_labels=2):
    """N_BATCHES batches of BATCH texts of 3..8 known words (one token each) and labels."""
    g = np.random.RandomState(seed)
    texts, labels = [], []
    for _ in range(N_BATCHES * BATCH):
        n = g.randint(3, 9)
        words = g.randint(0, len(WORDS), n)
        texts.append(' '.join(WORDS[j] for j in words))
        # A learnable rule (how many of the first 12 words occur), so the losses fall and every term matters.
        labels.append(int(min(num_labels - 1, (words < 12).sum() // 2)))
    return texts, labels


def encode(texts):
    """[CLS] words [SEP], padded with [PAD] to the longest row (what the TS tokenizer does with this vocabulary)."""
    rows = [[2] + [VOCAB.index(w) for w in t.split()] + [3] for t in texts]
    T = max(len(r) for r in rows)
    ids = torch.tensor([r + [0] * (T - len(r)) for r in rows])
    mask = torch.tensor([[1] * len(r) + [0] * (T - len(r)) for r in rows])
    return ids, mask


def batches(texts, labels):
    out = []
    for b in range(N_BATCHES):
        s = slice(b * BATCH, (b + 1) * BATCH)
        ids, mask = encode(texts[s])
        out.append((ids, mask, torch.tensor(labels[s])))
    return out


def leaves(P, trainable):
    return {n: (P[n].clone().requires_grad_(n in trainable)) for n in P}


def train(P, trainable, loss_fn, lr_at, groups, clip=None, hooks=None, betas=(0.9, 0.999), eps=1e-8):
    """The loop every fixture shares: loss → backward → clip → AdamW step, for STEPS steps over the batches in order."""
    Q = leaves(P, trainable)
    opt = R.adamw(Q, [([n for n in names if n in trainable], wd) for names, wd in groups], lr_at(0), betas, eps)
    losses = []
    for step in range(STEPS):
        for g in opt.param_groups:
            g['lr'] = lr_at(step)
        loss = loss_fn(Q, step)
        opt.zero_grad()
        loss.backward()
        if clip is not None:
            torch.nn.utils.clip_grad_norm_([Q[n] for n in trainable], clip)
        opt.step()
        losses.append(float(loss))
        if hooks:
            hooks(Q, step + 1)
    return Q, losses


def no_decay(n):
    return n.endswith('.bias') or 'LayerNorm' in n


def tensor_json(t):
    t = t.detach()
    return {'shape': list(t.shape), 'data': [float(v) for v in t.reshape(-1)]}


def write_fixture(pkg, name, P, doc, check):
    d = os.path.join(ROOT, 'packages', pkg, 'src', 'fixtures', f'trajectory-{name}')
    path = os.path.join(d, 'trajectory.json')
    if check:
        old = json.load(open(path))
        worst = max(abs(a - b) / max(1e-12, abs(b)) for a, b in zip(doc['expected']['losses'], old['expected']['losses']))
        fin = 0.0
        for k, v in doc['expected'].get('final', {}).items():
            o = old['expected']['final'][k]['data']
            fin = max(fin, max(abs(a - b) for a, b in zip(v['data'], o)))
        print(f'{pkg}/{name}: regenerated vs committed: max relative loss diff {worst:.2e}, max final-value diff {fin:.2e}')
        return
    os.makedirs(d, exist_ok=True)
    safetensors_io.write(os.path.join(d, 'init.safetensors'), {k: v.float() for k, v in P.items()}, metadata={'format': 'lel'})
    with open(path, 'w') as f:
        json.dump(doc, f, indent=1)
    print(f'{pkg}/{name}: {len(doc["expected"]["losses"])} steps, loss {doc["expected"]["losses"][0]:.6f} → {doc["expected"]["losses"][-1]:.6f}')


def base_doc(what, cfg, texts, labels, settings):
    return {'what': what, 'generator': f'reference/text/trajectory.py (PyTorch {torch.__version__}, float64)', 'config': cfg,
            'vocab': VOCAB, 'texts': texts, 'labels': labels, 'batchSize': BATCH, 'steps': STEPS, 'settings': settings}


# -------------------------------------------------------------------------------------------------- fixtures
def finetune_adamw(check):
    """Full fine-tuning of a BERT classifier: AdamW with decay / no-decay groups, linear warm-up + decay, clipping."""
    cfg = R.tiny_config()
    g = torch.Generator().manual_seed(1)
    P = R.init_bert(cfg, g)
    texts, labels = make_data(11)
    B = batches(texts, labels)
    lr, warm = 2e-3, 6
    names = list(P)
    Q, losses = train(P, set(names), lambda Q, s: F.cross_entropy(R.classifier_logits(Q, cfg, *B[s % N_BATCHES][:2]), B[s % N_BATCHES][2]),
                      lambda s: R.linear_warmup(s, lr, warm, STEPS), [([n for n in names if not no_decay(n)], 0.01), ([n for n in names if no_decay(n)], 0.0)], clip=1.0)
    doc = base_doc('BertForSequenceClassification fully fine-tuned by core fit: CE on the classifier logits, AdamW (betas 0.9/0.999, eps 1e-8) with weight decay 0.01 on matrices/embeddings and 0 on biases and LayerNorm, lr 2e-3 linear warm-up over 6 steps then linear decay to 0 at step 60 (lr of 0-based step t = schedule(t)), global-norm clip 1.0, batches in order',
                   cfg, texts, labels, {'lr': lr, 'warmupSteps': warm, 'weightDecay': 0.01, 'gradClipNorm': 1.0})
    doc['expected'] = {'losses': losses, 'final': {n: tensor_json(Q[n]) for n in ['classifier.weight', 'encoder.layer.1.attention.self.query.weight', 'embeddings.LayerNorm.bias']}}
    write_fixture('models', 'finetune-adamw', P, doc, check)


PEFT_CASES = {
    'bitfit': ({'method': 'bitfit'}, {}),
    'lora': ({'method': 'lora', 'r': 4, 'loraAlpha': 8}, {'lora_scaling': 2.0}),
    'krona': ({'method': 'krona'}, {'krona_scale': 1.0}),
    'krona-b-res': ({'method': 'krona', 'variant': 'block_res'}, {'krona_scale': 1.0, 'krona_res': 1.0}),
    'relbitfit': ({'method': 'relbitfit', 'maxDistance': 4}, {'relbitfit': {'maxDistance': 4, 'rank': None, 'shareAcrossHeads': False, 'shareAcrossLayers': False}}),
    'relbitfit-pt-lr-clip': ({'method': 'relbitfit', 'maxDistance': 3, 'rank': 2, 'shareAcrossHeads': True, 'shareAcrossLayers': True},
                             {'relbitfit': {'maxDistance': 3, 'rank': 2, 'shareAcrossHeads': True, 'shareAcrossLayers': True}}),
}


def peft_params(P, cfg, method, peft, g):
    """Add the adapter tensors (random, non-zero: so every term moves the loss from step 1) and return the trainable names."""
    d, H, L = cfg['hiddenSize'], cfg['numAttentionHeads'], cfg['numHiddenLayers']
    dh = d // H
    rnd = lambda *s: (0.2 * torch.randn(*s, generator=g)).float().double()  # noqa: E731
    biases = [n for n in P if 'bias' in n]
    head = ['classifier.weight', 'classifier.bias']
    if method == 'bitfit':
        return sorted(set(biases + head))
    if method == 'lora':
        out = []
        for i in range(L):
            for m in ('query', 'value'):
                p = f'encoder.layer.{i}.attention.self.{m}.'
                P[p + 'lora_A.default'], P[p + 'lora_B.default'] = rnd(d, peft['r']), rnd(peft['r'], d)
                out += [p + 'lora_A.default', p + 'lora_B.default']
        return sorted(out + head)
    if method == 'krona':
        out = []
        if peft.get('variant') == 'block_res':
            for i in range(L):
                p = f'encoder.layer.{i}.output.'
                P[p + 'krona_A.default'], P[p + 'krona_B.default'] = rnd(4, 4), rnd(4, 4)
                out += [p + 'krona_A.default', p + 'krona_B.default']
        else:
            for i in range(L):
                for m in ('query', 'value'):
                    p = f'encoder.layer.{i}.attention.self.{m}.'
                    P[p + 'krona_A.default'], P[p + 'krona_B.default'] = rnd(4, 4), rnd(4, 4)
                    out += [p + 'krona_A.default', p + 'krona_B.default']
        return sorted(out + head)
    # relbitfit: BitFit's biases minus the (replaced) key bias, plus the tables (layer 0 only when tied across layers)
    L_max, rank, sh, sl = peft['maxDistance'], peft.get('rank'), peft.get('shareAcrossHeads', False), peft.get('shareAcrossLayers', False)
    nb = 2 * L_max + 1
    out = [n for n in biases if 'attention.self.key.bias' not in n] + head
    for i in range(1 if sl else L):
        p = f'encoder.layer.{i}.attention.self.relbitfit_'
        if rank is None:
            P[p + 'R.default'] = rnd(nb, dh) if sh else rnd(H, nb, dh)
            out.append(p + 'R.default')
        else:
            P[p + 'U.default'], P[p + 'V.default'] = rnd(nb, rank), rnd(rank, dh if sh else d)
            out += [p + 'U.default', p + 'V.default']
        P[p + 's.default'] = rnd(nb) if sh else rnd(H, nb)
        out.append(p + 's.default')
    return sorted(set(out))


def peft_case(name, check):
    """@lel/peft's fine-tuning recipe on a PEFT-wrapped BERT: uniform AdamW weight decay, 6% warm-up, clip 1.0."""
    peft, adapters = PEFT_CASES[name]
    cfg = R.tiny_config()
    g = torch.Generator().manual_seed(2)
    P = R.init_bert(cfg, g)
    trainable = peft_params(P, cfg, name.split('-')[0] if not name.startswith('krona') else 'krona', peft, g)
    texts, labels = make_data(12)
    B = batches(texts, labels)
    lr = 5e-3
    warm = round(0.06 * STEPS)
    Q, losses = train(P, set(trainable), lambda Q, s: F.cross_entropy(R.classifier_logits(Q, cfg, *B[s % N_BATCHES][:2], adapters=adapters), B[s % N_BATCHES][2]),
                      lambda s: R.linear_warmup(s, lr, warm, STEPS), [(trainable, 0.01)], clip=1.0)
    doc = base_doc(f'fineTuneSequenceClassification (data in order, no shuffling) on a BertForSequenceClassification wrapped with applyPeft({json.dumps(peft)}) whose adapter tensors are then set to the fixture values (non-zero); AdamW lr 5e-3 with weight decay 0.01 on every trainable tensor, schedule "linear" (warm-up round(0.06·60) = 4 steps, then linear decay), clip 1.0; trainable = the listed names',
                   cfg, texts, labels, {'peft': peft, 'lr': lr, 'weightDecay': 0.01, 'gradClipNorm': 1.0, 'epochs': STEPS // N_BATCHES, 'trainable': trainable})
    show = [n for n in trainable if 'classifier' not in n][:3] + ['classifier.weight']
    doc['expected'] = {'losses': losses, 'final': {n: tensor_json(Q[n]) for n in show}}
    write_fixture('peft', name, P, doc, check)


def vib_case(check):
    """VIBERT: sampled head (S = 3, K = 4) with the fixture's ε, β annealed per epoch, AdamW, linear decay, clip."""
    cfg = R.tiny_config()
    g = torch.Generator().manual_seed(3)
    Pb = R.init_bert(cfg, g, num_labels=0)
    P = {'encoder.' + k: v for k, v in Pb.items()}
    D, K, S, C = cfg['hiddenSize'], 4, 3, 2
    Hd = (D + K) // 2
    I = (Hd + D) // 2
    rnd = lambda *s: (torch.randn(*s, generator=g) / np.sqrt(s[0])).float().double()  # noqa: E731
    for n, (i, o) in {'head.mlp.0': (D, I), 'head.mlp.2': (I, Hd), 'head.emb2mu': (Hd, K), 'head.emb2std': (Hd, K), 'head.classifier': (K, C)}.items():
        P[n + '.weight'], P[n + '.bias'] = rnd(i, o), (0.05 * torch.randn(o, generator=g)).float().double()
    P['head.mu_p'] = torch.randn(K, generator=g).float().double()
    P['head.std_p'] = torch.randn(K, generator=g).float().double()
    texts, labels = make_data(13)
    B = batches(texts, labels)
    eps = [torch.randn(S, BATCH, K, generator=g).float().double() for _ in range(STEPS)]
    beta, lr = 0.1, 1e-3

    def loss(Q, s):
        ids, mask, y = B[s % N_BATCHES]
        pooled = R.bert_forward({k[8:]: v for k, v in Q.items() if k.startswith('encoder.')}, cfg, ids, mask)[1]
        lg, mu, std, mp, sp = R.vib_head(Q, pooled, eps[s])
        return R.vib_loss(lg, y, mu, std, mp, sp, beta, s // N_BATCHES + 1)
    Q, losses = train(P, set(P), loss, lambda s: R.linear_warmup(s, lr, 0, STEPS), [(list(P), 0.0)], clip=1.0)
    doc = base_doc('vibBert (VibClassifier: BertModel + VibHead, ibDim 4, sampleSize 3, dropout 0) trained by core fit: loss = vibLoss(model.forward(x, { eps }), y, { beta: 0.1, epoch }) = CE averaged over the 3 samples and the batch + min(1, epoch·0.1)·KL (epoch 1-based = ⌊step/6⌋ + 1), AdamW lr 1e-3 (eps 1e-8, no weight decay) linear decay from step 0 (no warm-up) to 0 at step 60, clip 1.0; eps[step] is that step\'s ε [S, B, K]',
                   cfg, texts, labels, {'ibDim': K, 'sampleSize': S, 'beta': beta, 'lr': lr, 'gradClipNorm': 1.0})
    doc['eps'] = [tensor_json(e) for e in eps]
    doc['expected'] = {'losses': losses, 'final': {n: tensor_json(Q[n]) for n in ['head.emb2std.weight', 'head.std_p', 'head.classifier.weight', 'encoder.pooler.dense.bias']}}
    write_fixture('vib', 'vib', P, doc, check)


KD_CASES = {
    'kd': {'method': 'kd', 'alpha': 0.5, 'temperature': 4},
    'annealing-kd': {'method': 'annealing-kd', 'tMax': 4, 'stage1Fraction': 0.5},
    'continuation-kd': {'method': 'continuation-kd', 'tMax': 4, 'margin': 1},
}


def kd_case(name, check):
    """@lel/distill's recipe: student BERT classifier, cached teacher logits (inputs), per-epoch schedules, AdamW."""
    method = KD_CASES[name]
    cfg = R.tiny_config()
    g = torch.Generator().manual_seed(4)
    P = R.init_bert(cfg, g)
    texts, labels = make_data(14)
    B = batches(texts, labels)
    teacher = [(3 * torch.randn(BATCH, 2, generator=g)).float().double() for _ in range(N_BATCHES)]
    epochs = STEPS // N_BATCHES
    lr = 1e-3
    if name == 'annealing-kd':
        n1 = min(epochs, max(1, round(method['stage1Fraction'] * epochs)))
        sched = R.annealing_schedule(n1, epochs - n1, method['tMax'])
    elif name == 'continuation-kd':
        sched = R.continuation_schedule(epochs, method['tMax'])

    def loss(Q, s):
        ids, mask, y = B[s % N_BATCHES]
        z = R.classifier_logits(Q, cfg, ids, mask)
        t = teacher[s % N_BATCHES]
        e = s // N_BATCHES
        if name == 'kd':
            return R.kd_loss(z, t, y, method['alpha'], method['temperature'])
        if name == 'annealing-kd':
            return R.annealing_kd_loss(z, t, y, *sched[e])
        return R.continuation_kd_loss(z, t, y, sched[e][0], sched[e][1], method['margin'])
    Q, losses = train(P, set(P), loss, lambda s: lr, [(list(P), 0.0)])
    doc = base_doc(f'distill() with method {json.dumps(method)} on a BertForSequenceClassification student (dropout 0), teacher logits given per batch (teacherLogits[b]), {epochs} epochs of 6 batches in order, AdamW lr 1e-3 constant, no weight decay, no clipping; schedules per 1-based epoch (annealing-kd: stage 1 for round(0.5·epochs) epochs, T = max(1, T_max − ⌊i/k⌋), φ = 1 − (T−1)/T_max, then CE; continuation-kd: k = max(1, ⌊n/T_max⌋), T decremented when i % k == 0, ψ(i) = i/40 for i ≤ 20)',
                   cfg, texts, labels, {'method': method, 'epochs': epochs, 'lr': lr})
    doc['teacherLogits'] = [tensor_json(t) for t in teacher]
    doc['expected'] = {'losses': losses, 'final': {n: tensor_json(Q[n]) for n in ['classifier.weight', 'encoder.layer.0.output.dense.bias']}}
    write_fixture('distill', name, P, doc, check)


SWA_CASES = {
    'swa': {'strategy': 'swa', 'unit': 'step', 'every': 5, 'swaStart': 0.5},
    'ema': {'strategy': 'ema', 'decay': 0.9, 'unit': 'step', 'every': 1, 'swaStart': 0.5},
}


def swa_case(name, check):
    """SwaCallback on core fit: constant-lr AdamW fine-tuning, averaging after step t (1-based) iff t > ⌊swaStart·60⌋ and (t − start − 1) % every == 0."""
    conf = SWA_CASES[name]
    cfg = R.tiny_config()
    g = torch.Generator().manual_seed(5)
    P = R.init_bert(cfg, g)
    texts, labels = make_data(15)
    B = batches(texts, labels)
    lr = 3e-3
    start = int(conf['swaStart'] * STEPS)
    avg = {}
    n_avg = [0]

    def hook(Q, t):
        if t > start and (t - start - 1) % conf['every'] == 0:
            for n, v in Q.items():
                w = v.detach().clone()
                if n_avg[0] == 0:
                    avg[n] = w
                elif conf['strategy'] == 'swa':
                    avg[n] = avg[n] + (w - avg[n]) / (n_avg[0] + 1)
                else:
                    avg[n] = conf['decay'] * avg[n] + (1 - conf['decay']) * w
            n_avg[0] += 1
    Q, losses = train(P, set(P), lambda Q, s: F.cross_entropy(R.classifier_logits(Q, cfg, *B[s % N_BATCHES][:2]), B[s % N_BATCHES][2]), lambda s: lr, [(list(P), 0.0)], hooks=hook)
    with torch.no_grad():
        ids, mask, y = B[0]
        avg_loss = float(F.cross_entropy(R.classifier_logits(avg, cfg, ids, mask), y))
    doc = base_doc(f'SwaCallback({json.dumps(conf)}) on core fit: full fine-tuning of a BertForSequenceClassification, AdamW lr 3e-3 constant, no weight decay, no clipping; averages: first = copy, swa: w̄ += (w − w̄)/(n+1), ema: w̄ = decay·w̄ + (1 − decay)·w; applyAtEnd puts w̄ in the model; averagedLoss = CE of the averaged model on batch 0 (eval)',
                   cfg, texts, labels, {'swa': conf, 'lr': lr})
    doc['expected'] = {'losses': losses, 'nAveraged': n_avg[0], 'averagedLoss': avg_loss,
                       'final': {n: tensor_json(avg[n]) for n in ['classifier.weight', 'encoder.layer.0.attention.self.value.weight', 'pooler.dense.bias']}}
    write_fixture('swa', name, P, doc, check)


ALL = {'finetune-adamw': finetune_adamw, 'vib': vib_case,
       **{f'peft-{k}': (lambda check, k=k: peft_case(k, check)) for k in PEFT_CASES},
       **{f'kd-{k}': (lambda check, k=k: kd_case(k, check)) for k in KD_CASES},
       **{f'swa-{k}': (lambda check, k=k: swa_case(k, check)) for k in SWA_CASES}}

if __name__ == '__main__':
    check = '--check' in sys.argv
    names = [a for a in sys.argv[1:] if not a.startswith('--')] or list(ALL)
    for n in names:
        ALL[n](check)
