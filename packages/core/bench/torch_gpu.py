#!/usr/bin/env python3
"""PyTorch side of `pnpm bench:gpu`: the models of gpu-models.ts (the issue-21 probe's models) timed for one
training step (forward, backward, Adam) on CUDA when available (--device auto), else on every CPU thread.
One JSON line per model. Run here as `/usr/bin/python3 torch_gpu.py` (Debian's torch)."""
import argparse
import json
import math
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

# The seg net is bench:compare's (same architecture as gpu-models.ts' seg); the transformer here is gpu-models.ts' own.
from torch_bench import SegNet as Seg


class Block(nn.Module):
    def __init__(s, d, heads, ffn):
        super().__init__()
        s.heads = heads
        s.ln1, s.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        s.q, s.k, s.v, s.o = (nn.Linear(d, d, bias=False) for _ in range(4))
        s.f1, s.f2 = nn.Linear(d, ffn), nn.Linear(ffn, d)

    def forward(s, x, mask):
        b, t, d = x.shape
        h = s.ln1(x)
        sp = lambda z: z.view(b, t, s.heads, d // s.heads).transpose(1, 2)
        q, k, v = sp(s.q(h)), sp(s.k(h)), sp(s.v(h))
        att = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // s.heads) + mask, -1)
        x = x + s.o((att @ v).transpose(1, 2).reshape(b, t, d))
        return x + s.f2(F.relu(s.f1(s.ln2(x))))


class Tx(nn.Module):
    def __init__(s, seq, d, heads, layers, ffn, vocab):
        super().__init__()
        s.tok = nn.Embedding(vocab, d)
        s.pos = nn.Parameter(torch.randn(seq, d) / math.sqrt(d))
        s.blocks = nn.ModuleList(Block(d, heads, ffn) for _ in range(layers))
        s.lnf = nn.LayerNorm(d)
        s.out = nn.Linear(d, vocab, bias=False)
        s.register_buffer("mask", torch.triu(torch.full((seq, seq), -1e9), 1))

    def forward(s, tok):
        x = s.tok(tok) + s.pos
        for b in s.blocks:
            x = b(x, s.mask)
        return s.out(s.lnf(x))


def seg(batch, size):
    def make(dev):
        m = Seg().to(dev)
        x = torch.rand(batch, 3, size, size, device=dev)
        y = torch.randint(0, 5, (batch, size, size), device=dev)
        return m, lambda: F.cross_entropy(m(x), y)

    return make


def tx(batch, seq, d, heads, layers, ffn, vocab):
    def make(dev):
        m = Tx(seq, d, heads, layers, ffn, vocab).to(dev)
        tok = torch.randint(0, vocab, (batch, seq), device=dev)
        tgt = torch.randint(0, vocab, (batch, seq), device=dev)
        return m, lambda: F.cross_entropy(m(tok).reshape(-1, vocab), tgt.reshape(-1))

    return make


MODELS = {
    "seg-B16-64": seg(16, 64),
    "tx-B16-T64": tx(16, 64, 128, 4, 2, 512, 256),
    "seg-B32-256": seg(32, 256),
    "tx-B32-T128-D512-L4": tx(32, 128, 512, 8, 4, 2048, 1024),
}


def run(name, dev, steps, warmup):
    torch.manual_seed(0)
    m, loss_fn = MODELS[name](dev)
    opt = torch.optim.Adam(m.parameters(), 1e-3)
    ts, first, last = [], None, None
    for i in range(warmup + steps):
        if dev == "cuda":
            torch.cuda.synchronize()
        t0 = time.perf_counter()
        opt.zero_grad(set_to_none=True)
        loss = loss_fn()
        loss.backward()
        opt.step()
        v = loss.item()
        if i == 0:
            first = v
        last = v
        if i >= warmup:
            ts.append((time.perf_counter() - t0) * 1000)
    label = torch.cuda.get_device_name(0) if dev == "cuda" else f"cpu, {torch.get_num_threads()} threads"
    return dict(engine="torch", mode=dev, model=name, device=f"{label}, torch {torch.__version__}",
                msPerStep=round(statistics.median(ts), 2), minMs=round(min(ts), 2), steps=steps, lossFirst=first, lossLast=last)


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--device", default="auto", choices=["auto", "cuda", "cpu"])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--warmup", type=int, default=3)
    a = ap.parse_args()
    dev = ("cuda" if torch.cuda.is_available() else "cpu") if a.device == "auto" else a.device
    for name in a.models.split(","):
        big = "256" in name or "D512" in name
        steps = a.steps if dev == "cuda" or not big else max(3, a.steps // 2)
        print(json.dumps(run(name, dev, steps, a.warmup)), flush=True)
