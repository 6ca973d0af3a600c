"""PyTorch mirror of LEL's CCT segmentation network (@lel/cct SmallConvEncoder + CctModel with @lel/models'
cctUpsample decoders) and of CCT's perturbations, for trajectory parity and reference runs.

Tensors cross the boundary in LEL's layout: images NHWC, conv kernels [kh, kw, in, out], parameter names as LEL's
state dict (`encoder.convs.0.weight`, `mainDecoder.upsample.1.conv.bias`, ...). Inside, PyTorch runs NCHW. Every
random draw (dropout masks, noise, gamma, cutout offsets, VAT's initial direction) comes from lel_rng.Rng in the
order LEL draws it, rounded to float32 as LEL stores it, so both frameworks perturb with the same numbers."""
import math

import numpy as np
import torch
import torch.nn.functional as F


def conv_w(w):
    """LEL kernel [kh, kw, in, out] -> torch [out, in, kh, kw]."""
    return w.permute(3, 2, 0, 1)


def nchw(x):
    return x.permute(0, 3, 1, 2)


def nhwc(x):
    return x.permute(0, 2, 3, 1)


def f32(values, dtype):
    """Doubles drawn by the Rng, stored as float32 (as LEL's Float32Array), then widened to `dtype`."""
    return torch.tensor(np.asarray(values, dtype=np.float32), dtype=dtype)


class BatchNorm:
    """@lel/core BatchNorm2d: eps 1e-5, momentum 0.1, biased variance to normalise, unbiased in the running var."""

    def __init__(self, params, buffers, name, eps=1e-5, momentum=0.1):
        self.p, self.b, self.name, self.eps, self.m = params, buffers, name, eps, momentum

    def __call__(self, x, training):
        w, b = self.p[f'{self.name}.weight'], self.p[f'{self.name}.bias']
        rm, rv = f'{self.name}.running_mean', f'{self.name}.running_var'
        if training:
            mean = x.mean(dim=(0, 2, 3))
            var = ((x - mean[None, :, None, None]) ** 2).mean(dim=(0, 2, 3))
            n = x.shape[0] * x.shape[2] * x.shape[3]
            with torch.no_grad():
                self.b[rm] = self.b[rm] * (1 - self.m) + mean.detach() * self.m
                self.b[rv] = self.b[rv] * (1 - self.m) + var.detach() * (n / (n - 1)) * self.m
        else:
            mean, var = self.b[rm], self.b[rv]
        y = (x - mean[None, :, None, None]) / torch.sqrt(var[None, :, None, None] + self.eps)
        return y * w[None, :, None, None] + b[None, :, None, None]


class SmallConvEncoder:
    """@lel/cct SmallConvEncoder: per stage [conv3x3 (stride 2 while below the output stride, else dilated) -> BN -> ReLU,
    conv3x3 -> BN -> ReLU]."""

    def __init__(self, params, buffers, widths, output_stride, batch_norm=True, prefix='encoder'):
        self.p, self.prefix, self.bn = params, prefix, batch_norm
        steps = int(round(math.log2(output_stride)))
        self.layers = []
        k = 0
        for i, _ in enumerate(widths):
            stride = 2 if i < steps else 1
            d1 = 1 if i < steps else 2 ** (i - steps)
            d2 = 1 if i < steps else 2 ** (i - steps + 1)
            self.layers.append((k, stride, d1))
            self.layers.append((k + 1, 1, d2))
            k += 2
        self.norms = [BatchNorm(params, buffers, f'{prefix}.norms.{j}') for j in range(k)] if batch_norm else None

    def __call__(self, x, training):
        for j, stride, d in self.layers:
            w = conv_w(self.p[f'{self.prefix}.convs.{j}.weight'])
            bias = self.p.get(f'{self.prefix}.convs.{j}.bias')
            x = F.conv2d(x, w, bias, stride=stride, padding=d, dilation=d)
            if self.norms:
                x = self.norms[j](x, training)
            x = F.relu(x)
        return x


def decoder(params, prefix, z, upscale, final_relu):
    """@lel/models cctUpsample: conv1x1 F->C (no bias), then log2(upscale) x [conv1x1 C->4C -> ReLU -> pixel shuffle x2]
    (no ReLU in the last block when final_relu is False). LEL's NHWC pixel shuffle orders channels (C, r, r) as
    torch.nn.PixelShuffle, so the same weights give the same output."""
    x = F.conv2d(z, conv_w(params[f'{prefix}.upsample.0.weight']))
    steps = int(round(math.log2(upscale)))
    for i in range(1, steps + 1):
        x = F.conv2d(x, conv_w(params[f'{prefix}.upsample.{i}.conv.weight']), params[f'{prefix}.upsample.{i}.conv.bias'])
        if final_relu or i < steps:
            x = F.relu(x)
        x = F.pixel_shuffle(x, 2)
    return x


PERTURBATIONS = ['vat', 'dropout', 'cutout', 'contextMasking', 'objectMasking', 'featureDrop', 'featureNoise']


def aux_names(counts):
    """Perturbation of every auxiliary decoder, in LEL's (and the official constructor's) order."""
    return [p for p in PERTURBATIONS for _ in range(counts.get(p, 0))]


def nearest_indices(n_in, n_out):
    return [min((d * n_in) // n_out, n_in - 1) for d in range(n_out)]


def fg_mask_small(main_logits, h, w):
    """(argmax main > 0) nearest-resized to the feature size, [B, 1, h, w] (main_logits NCHW, detached)."""
    fg = (main_logits.argmax(dim=1) > 0).to(main_logits.dtype)
    rows = nearest_indices(fg.shape[1], h)
    cols = nearest_indices(fg.shape[2], w)
    return fg[:, rows][:, :, cols][:, None]


def connected_components(fg, H, W):
    """8-connected components in raster order of their first pixel, with LEL's stack order (pop from the end)."""
    seen = np.zeros(H * W, dtype=bool)
    out = []
    for start in range(H * W):
        if not fg[start] or seen[start]:
            continue
        comp = [H, -1, W, -1, 0]
        seen[start] = True
        stack = [start]
        while stack:
            i = stack.pop()
            r, c = divmod(i, W)
            comp[4] += 1
            comp[0], comp[1], comp[2], comp[3] = min(comp[0], r), max(comp[1], r), min(comp[2], c), max(comp[3], c)
            for dr in (-1, 0, 1):
                for dc in (-1, 0, 1):
                    if dr == 0 and dc == 0:
                        continue
                    rr, cc = r + dr, c + dc
                    if 0 <= rr < H and 0 <= cc < W:
                        j = rr * W + cc
                        if fg[j] and not seen[j]:
                            seen[j] = True
                            stack.append(j)
        out.append(comp)
    return out


def guided_cutout_mask(main_logits, h, w, erase, min_pixels, rng):
    """G-Cutout's [B, 1, h, w] keep mask from the detached main prediction; offsets drawn as LEL (rng.int)."""
    labels = main_logits.argmax(dim=1).cpu().numpy()
    B, H, W = labels.shape
    cut = np.ones((B, H, W))
    for b in range(B):
        fg = (labels[b].reshape(-1) > 0)
        for r0, r1, c0, c1, size in connected_components(fg, H, W):
            if size < min_pixels:
                continue
            bh, bw = r1 - r0, c1 - c0
            oy = rng.int(math.floor(bh * (1 - erase)) + 1)
            ox = rng.int(math.floor(bw * (1 - erase)) + 1)
            rs, cs = r0 + oy, c0 + ox
            cut[b, rs:min(rs + math.floor(bh * erase), H), cs:min(cs + math.floor(bw * erase), W)] = 0
    rows, cols = nearest_indices(H, h), nearest_indices(W, w)
    return torch.tensor(cut[:, rows][:, :, cols][:, None], dtype=main_logits.dtype)


def l2_normalize(d):
    return d / (torch.sqrt((d ** 2).sum(dim=(1, 2, 3), keepdim=True)) + 1e-8)


def perturb(kind, z, main_det, dec, cfg, rng):
    """The perturbed features of one auxiliary decoder (z NCHW, not detached), drawing from `rng` as LEL."""
    B, C, h, w = z.shape
    dt = z.dtype
    if kind == 'featureNoise':
        r = cfg['featureNoise']['uniformRange']
        noise = f32(rng.uniform_array(h * w * C, -r, r), dt).reshape(h, w, C).permute(2, 0, 1)[None]
        return z + z * noise
    if kind == 'featureDrop':
        lo, hi = cfg['featureDrop']['gammaRange']
        gamma = rng.uniform(lo, hi)
        att = z.detach().mean(dim=1, keepdim=True)
        th = att.reshape(B, -1).max(dim=1).values * gamma
        return z * (att < th[:, None, None, None]).to(dt)
    if kind == 'dropout':
        p = cfg['dropout']['p']
        keep = f32(rng.bernoulli_array(B * C, 1 - p), dt).reshape(B, C)[:, :, None, None]
        return z * (keep * (1 / (1 - p)))
    if kind in ('contextMasking', 'objectMasking'):
        fg = fg_mask_small(main_det, h, w)
        return z * (fg if kind == 'contextMasking' else 1 - fg)
    if kind == 'cutout':
        return z * guided_cutout_mask(main_det, h, w, cfg['cutout']['erase'], cfg['cutout']['minPixels'], rng)
    if kind == 'vat':
        xi, eps, its = cfg['vat']['xi'], cfg['vat']['eps'], cfg['vat']['iterations']
        z_det = z.detach()
        with torch.no_grad():
            logits = dec(z_det)
            p = F.softmax(logits, dim=1)
            logp = F.log_softmax(logits, dim=1)
        # LEL: uniformTensor(z.shape) − 0.5, both float32 (the subtraction rounds in float32 too).
        u = np.asarray(rng.uniform_array(B * h * w * C), dtype=np.float32) - np.float32(0.5)
        d = l2_normalize(torch.tensor(u, dtype=dt).reshape(B, h, w, C).permute(0, 3, 1, 2))
        for _ in range(its):
            d = d.detach().requires_grad_(True)
            q = F.log_softmax(dec(z_det + xi * d), dim=1)
            adv = (p * (logp - q)).sum() / B
            (g,) = torch.autograd.grad(adv, d)
            d = l2_normalize(g)
        return z + (d * eps).detach()
    raise ValueError(kind)


class CctNet:
    """Encoder + main decoder (+ auxiliary decoders) over a flat dict of LEL-named parameters."""

    def __init__(self, params, buffers, widths, output_stride, num_classes, final_relu, aux_counts, cfg):
        self.p, self.b = params, buffers
        self.encoder = SmallConvEncoder(params, buffers, widths, output_stride)
        self.upscale, self.final_relu, self.C = output_stride, final_relu, num_classes
        self.aux = aux_names(aux_counts)
        self.cfg = cfg

    def dec(self, prefix):
        return lambda z: decoder(self.p, prefix, z, self.upscale, self.final_relu)

    def forward(self, x_nhwc, training):
        return self.dec('mainDecoder')(self.encoder(nchw(x_nhwc), training))

    def forward_unsup(self, x_nhwc, rng, training=True):
        z = self.encoder(nchw(x_nhwc), training)
        main = self.dec('mainDecoder')(z)
        main_det = main.detach()
        auxs = []
        for k, kind in enumerate(self.aux):
            dec = self.dec(f'auxDecoders.{k}.decoder')
            auxs.append(dec(perturb(kind, z, main_det, dec, self.cfg, rng)))
        return main, auxs


def cross_entropy(logits_nchw, labels, ignore=255):
    return F.cross_entropy(logits_nchw, labels.long(), ignore_index=ignore)


def softmax_mse(aux, target):
    return ((F.softmax(aux, dim=1) - target) ** 2).mean()


def sigmoid_rampup(t, T):
    if T == 0:
        return 1.0
    t = min(max(t, 0), T)
    phase = 1 - t / T
    return math.exp(-5 * phase * phase)
