"""PyTorch reference for `pnpm bench:compare`: the seg net and the transformer of models.ts, one training
step (forward, backward, Adam) timed as the median over --steps steps after --warmup, on --threads CPU
threads. Prints one JSON line per model. Needs only Debian's python3-torch."""
import argparse
import json
import math
import resource
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


def block(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=False), nn.BatchNorm2d(cout), nn.ReLU())


class SegNet(nn.Module):
    """93,733 parameters: the architecture of createSegNet in models.ts."""

    def __init__(self):
        super().__init__()
        self.l1, self.l2, self.l3, self.l4 = block(3, 32), block(32, 64), block(64, 64), block(128, 32)
        self.head = nn.Conv2d(64, 5, 1)

    def forward(self, x):
        c1 = self.l1(x)
        c2 = self.l2(F.max_pool2d(c1, 2))
        c3 = self.l3(F.max_pool2d(c2, 2))
        up = lambda h: F.interpolate(h, scale_factor=2, mode="bilinear", align_corners=False)
        c4 = self.l4(torch.cat([up(c3), c2], 1))
        return self.head(torch.cat([up(c4), c1], 1))


class Layer(nn.Module):
    def __init__(self, d, heads, ffn):
        super().__init__()
        self.heads = heads
        self.qkv, self.o = nn.Linear(d, 3 * d), nn.Linear(d, d)
        self.f1, self.f2 = nn.Linear(d, ffn), nn.Linear(ffn, d)
        self.ln1 = nn.LayerNorm(d, elementwise_affine=False)
        self.ln2 = nn.LayerNorm(d, elementwise_affine=False)

    def forward(self, h, mask):
        b, s, d = h.shape
        q, k, v = self.qkv(self.ln1(h)).view(b, s, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads) + mask, -1)
        h = h + self.o((att @ v).transpose(1, 2).reshape(b, s, d))
        return h + self.f2(F.relu(self.f1(self.ln2(h))))


class Transformer(nn.Module):
    """469,504 parameters: the architecture of createTransformer in models.ts."""

    def __init__(self, vocab=256, seq=64, d=128, heads=4, layers=2, ffn=512):
        super().__init__()
        self.emb = nn.Embedding(vocab, d)
        self.pos = nn.Parameter(torch.zeros(seq, d))
        self.layers = nn.ModuleList([Layer(d, heads, ffn) for _ in range(layers)])
        self.ln = nn.LayerNorm(d, elementwise_affine=False)
        self.head = nn.Linear(d, vocab)
        self.register_buffer("mask", torch.triu(torch.full((seq, seq), -1e9), 1))

    def forward(self, tok):
        h = self.emb(tok) + self.pos
        for layer in self.layers:
            h = layer(h, self.mask)
        return self.head(self.ln(h))


def flops(model):
    if model == "seg":
        px = 16 * 64 * 64
        conv = 2 * 9 * (px * 3 * 32 + px / 4 * 32 * 64 + px / 16 * 64 * 64 + px / 4 * 128 * 32) + 2 * px * 64 * 5
        return 3 * conv
    t, d, ffn, seq, b, heads, vocab = 16 * 64, 128, 512, 64, 16, 4, 256
    fwd = 2 * (2 * t * d * 3 * d + 2 * t * d * d + 2 * 2 * b * heads * seq * seq * (d // heads) + 2 * 2 * t * d * ffn) + 2 * t * d * vocab
    return 3 * fwd


def median(xs):
    s = sorted(xs)
    n = len(s)
    return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2


def run(model_name, steps, warmup, channels_last):
    torch.manual_seed(1)
    if model_name == "seg":
        net = SegNet()
        x = torch.rand(16, 3, 64, 64)
        y = torch.randint(0, 5, (16, 64, 64))
        if channels_last:
            net = net.to(memory_format=torch.channels_last)
            x = x.contiguous(memory_format=torch.channels_last)
        loss_fn = lambda: F.cross_entropy(net(x), y)
    else:
        net = Transformer()
        tok = torch.randint(0, 256, (16, 65))
        loss_fn = lambda: F.cross_entropy(net(tok[:, :-1]).reshape(-1, 256), tok[:, 1:].reshape(-1))
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    times, cpu = [], []
    for i in range(warmup + steps):
        c0 = time.process_time()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        loss.item()
        if i >= warmup:
            times.append((time.perf_counter() - t0) * 1000)
            cpu.append((time.process_time() - c0) * 1000)
    ms = median(times)
    return {
        "engine": "torch",
        "backend": f"cpu {torch.get_num_threads()}T",
        "mode": "channels_last" if channels_last else "default",
        "model": model_name,
        "msPerStep": round(ms, 1),
        "cpuMsPerStep": round(median(cpu), 1),
        "gflops": round(flops(model_name) / ms / 1e6, 2),
        "maxRssMB": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        "steps": steps,
        "params": sum(p.numel() for p in net.parameters()),
        "stepsMs": [round(t, 1) for t in times],
        "stepsCpuMs": [round(t, 1) for t in cpu],
        "torch": torch.__version__,
        "blas": blas_library(),
    }


def blas_library():
    """The BLAS torch's matmuls load (Debian's reference libblas is ~15x slower than OpenBLAS)."""
    torch.ones(8, 8) @ torch.ones(8, 8)
    with open("/proc/self/maps") as f:
        libs = {line.split()[-1] for line in f if "blas" in line.lower()}
    return ",".join(sorted(libs)) or "unknown"


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="seg,tx")
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=9)
    ap.add_argument("--warmup", type=int, default=2)
    ap.add_argument("--channels-last", action="store_true")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    for m in a.models.split(","):
        print(json.dumps(run(m, a.steps, a.warmup, a.channels_last and m == "seg")), flush=True)
