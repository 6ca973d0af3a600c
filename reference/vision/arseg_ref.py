"""PyTorch mirror of @lel/autoregressive-seg (packages/autoregressive-seg/src): the shifted masked convolutions of the
8 raster orderings, the stem (conv3x3 -> BN -> ReLU -> max-pool 3/2), the AR residual blocks, the 1x1 cluster head with
bilinear upsampling (align_corners=False) and softmax, IIC's loss over displacements |t| <= T (collapsed or
uncollapsed), and Adam (torch semantics). Parameters are LEL-named and LEL-shaped (kernels [kh, kw, in, out])."""
import numpy as np
import torch
import torch.nn.functional as F

from segnet import BatchNorm, conv_w, nchw, nhwc


def rot90ccw(a):
    return np.rot90(a, 1)


def ordering_kernel_mask(k, o):
    """(padding (top, bottom, left, right), k x k mask) of ordering o, as orderingKernelMask in orderings.ts."""
    p = k // 2
    if o == 0:
        return (p, p, p, p), np.ones((k, k))
    base = np.ones((k, k))
    base[2 * p, p + 1:] = 0
    table = {
        1: (lambda a: a, (2 * p, 0, p, p)),
        2: (lambda a: np.flip(rot90ccw(a), 0), (p, p, 2 * p, 0)),
        3: (lambda a: np.flip(a, 1), (2 * p, 0, p, p)),
        4: (lambda a: np.rot90(a, 3), (p, p, 0, 2 * p)),
        5: (rot90ccw, (p, p, 2 * p, 0)),
        6: (lambda a: np.flip(a, 0), (0, 2 * p, p, p)),
        7: (lambda a: np.rot90(a, 2), (0, 2 * p, p, p)),
        8: (lambda a: np.flip(np.rot90(a, 3), 0), (p, p, 0, 2 * p)),
    }
    f, pad = table[o]
    return pad, np.ascontiguousarray(f(base))


def masked_conv(x, w, b, o):
    """x NCHW; w LEL [k, k, in, out]: zero-pad by the ordering, then a 'valid' conv with kernel * mask."""
    k = w.shape[0]
    (t, bo, l, r), mask = ordering_kernel_mask(k, o)
    m = torch.tensor(mask, dtype=w.dtype)[:, :, None, None]
    xp = F.pad(x, (l, r, t, bo))
    return F.conv2d(xp, conv_w(w * m), b)


class ArSegNet:
    def __init__(self, params, buffers, num_blocks, stem_stride=1):
        self.p, self.b, self.n, self.s = params, buffers, num_blocks, stem_stride
        self.bn = BatchNorm(params, buffers, 'encoder.stem.bn')

    def stem(self, x_nhwc, training):
        p = self.p
        h = F.conv2d(nchw(x_nhwc), conv_w(p['encoder.stem.conv.weight']), p['encoder.stem.conv.bias'], stride=self.s, padding=1)
        h = F.relu(self.bn(h, training))
        return F.max_pool2d(h, 3, stride=2, padding=1)

    def blocks(self, h, o):
        p = self.p
        y = h
        for i in range(self.n):
            pre = f'encoder.blocks.{i}'
            c = y.shape[1]
            res = F.pad(y, (0, 0, 0, 0, 0, c))
            pw = lambda j, z: F.conv2d(z, conv_w(p[f'{pre}.conv{j}.weight']), p[f'{pre}.conv{j}.bias'])  # noqa: E731
            z = F.relu(pw(2, F.relu(masked_conv(y, p[f'{pre}.conv1.weight'], p[f'{pre}.conv1.bias'], o)))) + res
            z = F.relu(pw(4, F.relu(pw(3, z)))) + z
            y = F.relu(pw(6, F.relu(pw(5, z)))) + z
        return y

    def decode(self, f, size):
        logits = F.conv2d(f, conv_w(self.p['head.weight']), self.p['head.bias'])
        if tuple(logits.shape[2:]) != tuple(size):
            logits = F.interpolate(logits, size=size, mode='bilinear', align_corners=False)
        return F.softmax(logits, dim=1)

    def forward_pair(self, x_nhwc, o1, o2, training=True):
        h = self.stem(x_nhwc, training)
        size = x_nhwc.shape[1:3]
        return self.decode(self.blocks(h, o1), size), self.decode(self.blocks(h, o2), size)

    def forward(self, x_nhwc, o=0, training=False):
        return self.decode(self.blocks(self.stem(x_nhwc, training), o), x_nhwc.shape[1:3])


EPS = 2.220446049250313e-16


def _mi(p, lam, eps):
    pi = p.sum(dim=-1, keepdim=True)
    pj = p.sum(dim=-2, keepdim=True)
    pc = torch.clamp(p, min=eps)
    inner = torch.log(pc) - lam * torch.log(torch.clamp(pi, min=eps)) - lam * torch.log(torch.clamp(pj, min=eps))
    return -(pc * inner).sum(dim=(-2, -1))


def iic_loss(y1, y2, half_t, lam=1.0, eps=EPS, form='uncollapsed'):
    """IIC's IID_segmentation_loss(_uncollapsed) on NCHW probabilities: P~[i, j, t] = sum_{n,u} y1[n,i,u] y2[n,j,u+t]
    via conv2d(y1 as [K, N, H, W], weight y2 as [K, N, H, W], padding T) (xu-ji/IIC IID_losses.py)."""
    T = half_t
    a = y1.permute(1, 0, 2, 3)
    b = y2.permute(1, 0, 2, 3)
    pt = F.conv2d(a, b, padding=T)  # [K(i), K(j), D, D], displacement mirrored: irrelevant after the sum / mean
    if form == 'collapsed':
        p = pt.sum(dim=(2, 3))
        p = p / p.sum()
        p = (p + p.t()) / 2
        return _mi(p, lam, eps)
    p = pt.permute(2, 3, 0, 1)
    p = p / p.sum(dim=(2, 3), keepdim=True)
    p = (p + p.transpose(2, 3)) / 2
    D = 2 * T + 1
    return _mi(p, lam, eps).sum() / (D * D)


class Adam:
    """torch.optim.Adam (no weight decay, no amsgrad), state per parameter name."""

    def __init__(self, params, lr, betas=(0.9, 0.999), eps=1e-8):
        self.p, self.lr, self.b1, self.b2, self.eps = params, lr, betas[0], betas[1], eps
        self.m, self.v, self.t = {}, {}, 0

    def step(self, grads):
        self.t += 1
        with torch.no_grad():
            for name, g in grads.items():
                if g is None:
                    continue
                m = self.m.get(name, torch.zeros_like(g)) * self.b1 + (1 - self.b1) * g
                v = self.v.get(name, torch.zeros_like(g)) * self.b2 + (1 - self.b2) * g * g
                self.m[name], self.v[name] = m, v
                step_size = self.lr / (1 - self.b1 ** self.t)
                denom = v.sqrt() / (1 - self.b2 ** self.t) ** 0.5 + self.eps
                self.p[name] -= step_size * m / denom
