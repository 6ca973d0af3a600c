"""Float64 PyTorch reference of LEL's text models and losses, written from the papers / official code (see
/shared/reference/nlp-methods.md in the project notes and each package README), for trajectory parity and the
golden fixtures.

The model is functional over a dict of tensors keyed by LEL's parameter names in LEL's layout (dense kernels
[in, out], no `bert.` prefix): `embeddings.word_embeddings.weight`, `encoder.layer.0.attention.self.query.weight`,
…, `pooler.dense.*`, `classifier.*`, and the adapters' names (`….query.lora_A.default`, `….krona_A.default`,
`encoder.layer.N.output.krona_A.default`, `….attention.self.relbitfit_R.default`, …). A fixture written from such a
dict loads into the TypeScript model with `loadStateDict` / by name, so both sides start from the same bits."""
import math

import torch
import torch.nn.functional as F

DT = torch.float64


# ---------------------------------------------------------------------------------------------------- BERT
def tiny_config(**kw):
    cfg = dict(vocabSize=40, hiddenSize=16, numHiddenLayers=2, numAttentionHeads=2, intermediateSize=32,
               maxPositionEmbeddings=16, typeVocabSize=2, layerNormEps=1e-12, hiddenDropoutProb=0.0,
               attentionProbsDropoutProb=0.0, initializerRange=0.2)
    cfg.update(kw)
    return cfg


def init_bert(cfg, gen, num_labels=2, pooler=True, mlm_head=False):
    """HF `_init_weights`-like: N(0, initializerRange) matrices and embeddings (the tiny fixtures use 0.2 so every
    layer's signal reaches the logits), small random biases and LayerNorms; values rounded to float32 so the
    TypeScript side holds the very same ones."""
    d, ff, V = cfg['hiddenSize'], cfg['intermediateSize'], cfg['vocabSize']
    std = cfg['initializerRange']
    P = {}

    def normal(*shape):
        return (torch.randn(*shape, generator=gen, dtype=DT) * std).float().double()

    def dense(name, i, o):
        P[name + '.weight'] = normal(i, o)
        P[name + '.bias'] = (torch.randn(o, generator=gen, dtype=DT) * 0.01).float().double()

    def ln(name):
        P[name + '.weight'] = (1 + 0.1 * torch.randn(d, generator=gen, dtype=DT)).float().double()
        P[name + '.bias'] = (0.05 * torch.randn(d, generator=gen, dtype=DT)).float().double()

    P['embeddings.word_embeddings.weight'] = normal(V, d)
    P['embeddings.position_embeddings.weight'] = normal(cfg['maxPositionEmbeddings'], d)
    P['embeddings.token_type_embeddings.weight'] = normal(cfg['typeVocabSize'], d)
    ln('embeddings.LayerNorm')
    for i in range(cfg['numHiddenLayers']):
        p = f'encoder.layer.{i}.'
        for n in ('query', 'key', 'value'):
            dense(p + 'attention.self.' + n, d, d)
        dense(p + 'attention.output.dense', d, d)
        ln(p + 'attention.output.LayerNorm')
        dense(p + 'intermediate.dense', d, ff)
        dense(p + 'output.dense', ff, d)
        ln(p + 'output.LayerNorm')
    if pooler:
        dense('pooler.dense', d, d)
    if num_labels:
        dense('classifier', d, num_labels)
    if mlm_head:
        dense('cls.predictions.transform.dense', d, d)
        ln('cls.predictions.transform.LayerNorm')
        P['cls.predictions.bias'] = (0.01 * torch.randn(V, generator=gen, dtype=DT)).float().double()
        dense('cls.seq_relationship', d, 2)
    # Biases at 0.01 scale and perturbed LayerNorms (instead of HF's zeros / ones) make every parameter's
    # gradient path visible in the trajectory.
    return P


def layer_norm(x, P, name, eps):
    return F.layer_norm(x, (x.shape[-1],), P[name + '.weight'], P[name + '.bias'], eps)


def gelu(x):
    return 0.5 * x * (1 + torch.erf(x / math.sqrt(2)))


def kron(a, b):
    return torch.kron(a, b)


def linear(P, name, x, adapters):
    """x W + b, plus a LoRA (α/r·x A B) or KronA (s·x (A ⊗ B)) branch when `P` holds one for `name`."""
    y = x @ P[name + '.weight'] + P[name + '.bias']
    a = P.get(name + '.lora_A.default')
    if a is not None:
        y = y + adapters['lora_scaling'] * ((x @ a) @ P[name + '.lora_B.default'])
    a = P.get(name + '.krona_A.default')
    if a is not None:
        y = y + adapters['krona_scale'] * (x @ kron(a, P[name + '.krona_B.default']))
    return y


def relative_buckets(t, L):
    i = torch.arange(t).view(-1, 1)
    j = torch.arange(t).view(1, -1)
    return torch.clamp(i - j, -L, L) + L


def relative_tables(P, layer, cfg, rel):
    """Per-head key table [H, nb, dh] and scalar table [H, nb] of RelBitFit (tied across layers: layer 0's)."""
    H = cfg['numAttentionHeads']
    dh = cfg['hiddenSize'] // H
    nb = 2 * rel['maxDistance'] + 1
    owner = 0 if rel['shareAcrossLayers'] else layer
    p = f'encoder.layer.{owner}.attention.self.relbitfit_'
    if rel['rank'] is None:
        R = P[p + 'R.default']
    else:
        R = P[p + 'U.default'] @ P[p + 'V.default']
    s = P[p + 's.default']
    if rel['shareAcrossHeads']:
        R = R.view(1, nb, dh).expand(H, nb, dh)
        s = s.view(1, nb).expand(H, nb)
    elif rel['rank'] is not None:
        R = R.view(nb, H, dh).permute(1, 0, 2)
    return R, s


def bert_forward(P, cfg, ids, mask, tt=None, adapters=None):
    """BertModel (HF semantics, dropout off) → (last hidden state [B, T, d], pooled output [B, d] or None)."""
    adapters = adapters or {}
    B, T = ids.shape
    d = cfg['hiddenSize']
    H = cfg['numAttentionHeads']
    dh = d // H
    eps = cfg['layerNormEps']
    if tt is None:
        tt = torch.zeros_like(ids)
    x = P['embeddings.word_embeddings.weight'][ids] + P['embeddings.position_embeddings.weight'][torch.arange(T)] + P['embeddings.token_type_embeddings.weight'][tt]
    x = layer_norm(x, P, 'embeddings.LayerNorm', eps)
    add_mask = (1.0 - mask.to(DT)).view(B, 1, 1, T) * -10000.0
    rel = adapters.get('relbitfit')
    for i in range(cfg['numHiddenLayers']):
        p = f'encoder.layer.{i}.'
        q = linear(P, p + 'attention.self.query', x, adapters)
        k = linear(P, p + 'attention.self.key', x, adapters)
        v = linear(P, p + 'attention.self.value', x, adapters)
        heads = lambda z: z.view(B, T, H, dh).permute(0, 2, 1, 3)  # noqa: E731
        scores = heads(q) @ heads(k).transpose(-1, -2)
        if rel is not None:
            R, s = relative_tables(P, i, cfg, rel)
            qz = heads(x @ P[p + 'attention.self.query.weight'])  # the query without its bias
            bk = relative_buckets(T, rel['maxDistance'])
            proj = torch.einsum('bhtd,hnd->bhtn', qz, R)  # [B, H, T, nb]
            scores = scores + torch.gather(proj, 3, bk.view(1, 1, T, T).expand(B, H, T, T)) + s[:, bk].unsqueeze(0)
        scores = scores / math.sqrt(dh) + add_mask
        ctx = (torch.softmax(scores, -1) @ heads(v)).permute(0, 2, 1, 3).reshape(B, T, d)
        a = layer_norm(linear(P, p + 'attention.output.dense', ctx, adapters) + x, P, p + 'attention.output.LayerNorm', eps)
        h = gelu(linear(P, p + 'intermediate.dense', a, adapters))
        o = linear(P, p + 'output.dense', h, adapters)
        ka = P.get(p + 'output.krona_A.default')
        if ka is not None:  # KronA^B (+ residual) parallel to the FFN block, before the block's residual + LayerNorm
            o = o + adapters['krona_scale'] * (a @ kron(ka, P[p + 'output.krona_B.default']))
            if adapters.get('krona_res') is not None:
                o = o + adapters['krona_res'] * a
        x = layer_norm(o + a, P, p + 'output.LayerNorm', eps)
    pooled = torch.tanh(x[:, 0] @ P['pooler.dense.weight'] + P['pooler.dense.bias']) if 'pooler.dense.weight' in P else None
    return x, pooled


def classifier_logits(P, cfg, ids, mask, adapters=None):
    _, pooled = bert_forward(P, cfg, ids, mask, adapters=adapters)
    return pooled @ P['classifier.weight'] + P['classifier.bias']


def pretraining_logits(P, cfg, ids, mask, tt, positions):
    """MLM logits at the flat `positions` [P, V] (decoder tied to the word embeddings) and NSP logits [B, 2]."""
    h, pooled = bert_forward(P, cfg, ids, mask, tt)
    rows = h.reshape(-1, cfg['hiddenSize'])[positions]
    t = layer_norm(gelu(rows @ P['cls.predictions.transform.dense.weight'] + P['cls.predictions.transform.dense.bias']), P, 'cls.predictions.transform.LayerNorm', cfg['layerNormEps'])
    mlm = t @ P['embeddings.word_embeddings.weight'].T + P['cls.predictions.bias']
    nsp = pooled @ P['cls.seq_relationship.weight'] + P['cls.seq_relationship.bias']
    return mlm, nsp


# ------------------------------------------------------------------------------------------------ VIBERT head
def vib_head(P, h, eps, sampling=True):
    """VIBERT head on pooled h [B, D] (dropout off): relu MLP, μ, σ = softplus, z = μ + σ ε [S, B, K], logits [S, B, C]."""
    x = torch.relu(h @ P['head.mlp.0.weight'] + P['head.mlp.0.bias'])
    x = torch.relu(x @ P['head.mlp.2.weight'] + P['head.mlp.2.bias'])
    mu = x @ P['head.emb2mu.weight'] + P['head.emb2mu.bias']
    std = F.softplus(x @ P['head.emb2std.weight'] + P['head.emb2std.bias'])
    z = mu.unsqueeze(0) + std.unsqueeze(0) * eps if sampling else mu.unsqueeze(0)
    logits = z @ P['head.classifier.weight'] + P['head.classifier.bias']
    return logits, mu, std, P['head.mu_p'], F.softplus(P['head.std_p'])


def gaussian_kl(mu_q, std_q, mu_p, std_p):
    K = mu_q.shape[-1]
    per = 0.5 * ((std_q ** 2 / std_p ** 2).sum(-1) + ((mu_p - mu_q) ** 2 / std_p ** 2).sum(-1) - K
                 + (2 * torch.log(torch.clamp(std_p, min=1e-8))).sum(-1) - (2 * torch.log(torch.clamp(std_q, min=1e-8))).sum(-1))
    return per.mean()


def vib_loss(sampled_logits, labels, mu, std, mu_p, std_p, beta, epoch):
    """CE averaged over samples and batch + β_eff·KL, β_eff = min(1, epoch·β) (linear annealing, 1-based epoch)."""
    S, B, C = sampled_logits.shape
    ce = F.cross_entropy(sampled_logits.reshape(S * B, C), labels.repeat(S))
    return ce + min(1.0, epoch * beta) * gaussian_kl(mu, std, mu_p, std_p)


# ------------------------------------------------------------------------------------------------ distillation
def kd_loss(s, t, y, alpha, T):
    soft = (F.softmax(t / T, -1) * (F.log_softmax(t / T, -1) - F.log_softmax(s / T, -1))).sum(-1).mean()
    return alpha * F.cross_entropy(s, y) + (1 - alpha) * T * T * soft


def annealing_kd_loss(s, t, y, stage, phi):
    if stage == 1:
        return ((s - phi * t) ** 2).sum(-1).mean()
    return F.cross_entropy(s, y)


def continuation_kd_loss(s, t, y, psi, phi, margin):
    hinge = torch.clamp(((s - phi * t) ** 2).sum(-1) - margin * phi, min=0).mean()
    return psi * F.cross_entropy(s, y) + (1 - psi) * hinge


def annealing_schedule(n1, n2, t_max):
    k = max(1, n1 // t_max)
    out = []
    for i in range(1, n1 + 1):
        T = max(1, t_max - i // k)
        out.append((1, 1 - (T - 1) / t_max))
    return out + [(2, 1.0)] * n2


def continuation_schedule(n, t_max, psi=lambda i: i / 40 if i <= 20 else 1.0):
    """Algorithm 1 with LEL's contract: k = max(1, ⌊n/T_max⌋), T decremented when i % k == 0 before φ, never below 1."""
    k = max(1, n // t_max)
    T = t_max
    out = []
    for i in range(1, n + 1):
        if i % k == 0:
            T = max(1, T - 1)
        out.append((psi(i), 1 - (T - 1) / t_max))
    return out


# ------------------------------------------------------------------------------------------------ optimisation
def adamw(params, groups, lr, betas=(0.9, 0.999), eps=1e-8):
    """torch.optim.AdamW over named float64 leaves; `groups` = [(names, weight_decay)]."""
    return torch.optim.AdamW([{'params': [params[n] for n in names], 'weight_decay': wd} for names, wd in groups if names], lr=lr, betas=betas, eps=eps)


def linear_warmup(step, base, warmup, total):
    """HF get_linear_schedule_with_warmup at 0-based step (the lr the step uses)."""
    if step < warmup:
        return base * step / max(1, warmup)
    return base * max(0.0, (total - step) / max(1, total - warmup))
