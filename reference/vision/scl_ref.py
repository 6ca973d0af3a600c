"""PyTorch mirror of @lel/scl's network and objective (packages/scl/src, packages/models/src/resnet12): ResNet-12
(3 x [conv3x3 -> BN -> LeakyReLU 0.1] with a 1x1 conv + BN shortcut, max-pool 2, per stage; global average pool;
linear classifier), SCL's AttentionSimilarity head (q/k/v MLPs C -> C -> C', no bias) with the spatial similarity
of every pair, the SupCon loss on it (inverse temperature 10, self excluded) and CE on both views. Dropout and
DropBlock are off (their masks are tested by the golden cases). LEL names and layouts (Linear weights [in, out])."""
import torch
import torch.nn.functional as F

from segnet import BatchNorm, conv_w, nchw


class ResNet12:
    def __init__(self, params, buffers, num_stages=4, slope=0.1):
        self.p, self.b, self.n, self.slope = params, buffers, num_stages, slope

    def __call__(self, x_nhwc, training):
        h = nchw(x_nhwc)
        for i in range(1, self.n + 1):
            pre = f'backbone.layer{i}.0'
            bn = lambda name, z: BatchNorm(self.p, self.b, f'{pre}.{name}')(z, training)  # noqa: E731
            conv = lambda name, z, pad=1: F.conv2d(z, conv_w(self.p[f'{pre}.{name}.weight']), padding=pad)  # noqa: E731
            act = lambda z: F.leaky_relu(z, self.slope)  # noqa: E731
            out = act(bn('bn1', conv('conv1', h)))
            out = act(bn('bn2', conv('conv2', out)))
            out = bn('bn3', conv('conv3', out))
            short = BatchNorm(self.p, self.b, f'{pre}.downsample.1')(conv('downsample.0', h, 0), training)
            h = F.max_pool2d(act(out + short), 2)
        features = h.mean(dim=(2, 3))
        logits = features @ self.p['backbone.classifier.weight'] + self.p['backbone.classifier.bias']
        return h, features, logits


def cosine(a, b):
    """torch.nn.functional.cosine_similarity (1.13): x.y / sqrt(max(|x|^2 |y|^2, eps^2)), eps 1e-8."""
    dot = (a * b).sum(-1)
    return dot / torch.sqrt(torch.clamp((a * a).sum(-1) * (b * b).sum(-1), min=1e-16))


def spatial_similarity(p, fmap, aggregation='mean'):
    """SCL AttentionSimilarity.contrast_a_with_b on every pair of the batch with itself: S[j, i] = s(A_i, B_j)."""
    n, c, h, w = fmap.shape
    f = fmap.permute(0, 2, 3, 1).reshape(n, h * w, c)
    mlp = lambda name: torch.relu(f @ p[f'attention.{name}.0.weight']) @ p[f'attention.{name}.2.weight']  # noqa: E731
    q, k, v = mlp('query'), mlp('key'), mlp('value')
    d = q.shape[-1]
    # aligned_a[j, i] = softmax(q_b[j] k_a[i]^T / sqrt d) v_a[i]; aligned_b[j, i] = softmax(q_a[i] k_b[j]^T / sqrt d) v_b[j]
    att_ba = torch.softmax(torch.einsum('jud,ivd->jiuv', q, k) / d ** 0.5, dim=-1)
    aligned_a = torch.einsum('jiuv,ivd->jiud', att_ba, v)
    att_ab = torch.softmax(torch.einsum('iud,jvd->jiuv', q, k) / d ** 0.5, dim=-1)
    aligned_b = torch.einsum('jiuv,jvd->jiud', att_ab, v)
    per = cosine(v[None, :, :, :], aligned_b) + cosine(v[:, None, :, :], aligned_a)
    if aggregation == 'mean':
        return per.mean(-1)
    if aggregation == 'sum':
        return per.sum(-1)
    raise ValueError(aggregation)


def supcon(sim, labels, inv_t=10.0):
    """SCL ContrastiveLoss (SupCon) on a similarity matrix, anchors = rows, self excluded; labels [M/2] tiled."""
    m = sim.shape[0]
    y = torch.cat([labels, labels]) if labels.shape[0] * 2 == m else labels
    pos = (y[:, None] == y[None, :]).to(sim.dtype)
    logits0 = sim * inv_t
    logits = logits0 - logits0.max(dim=1, keepdim=True).values.detach()
    keep = 1 - torch.eye(m, dtype=sim.dtype)
    mask = pos * keep
    log_prob = logits - torch.log((torch.exp(logits) * keep).sum(1, keepdim=True))
    n_pos = mask.sum(1)
    return (-(mask * log_prob).sum(1) / torch.clamp(n_pos, min=1)).mean()


def scl_loss(p, b, x, labels, cfg, training=True):
    """lambda_cls CE(both views) + lambda_sp SC, as sclLoss (x = [view 1; view 2])."""
    fmap, _, logits = ResNet12(p, b)(x, training)
    y2 = torch.cat([labels, labels])
    parts = {}
    total = torch.zeros((), dtype=x.dtype)
    if cfg['lambdaCls'] > 0:
        parts['ce'] = F.cross_entropy(logits, y2)
        total = total + cfg['lambdaCls'] * parts['ce']
    if cfg['spatialContLoss']:
        parts['sc'] = supcon(spatial_similarity(p, fmap, cfg.get('aggregation', 'mean')), labels, cfg.get('spatialInverseTemperature', 10))
        total = total + cfg['lambdaSpatial'] * parts['sc']
    parts['total'] = total
    return parts
