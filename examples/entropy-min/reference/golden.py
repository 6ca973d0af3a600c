#!/usr/bin/env python3
"""Golden values of @lel/entropy-min in float64: writes src/fixtures/entropy-min.json.

Pure Python (no dependency), so anyone can regenerate the fixture: `python3 reference/golden.py`. Replace it with a
script that calls your method's official implementation (e.g. its PyTorch code, in float64) on the same inputs;
`src/golden.test.ts` then checks LEL against it on every backend. Format: ../shared/golden/FORMAT.md.
"""
import json
import math
import os
import random

SEED = 7
HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, '..', 'src', 'fixtures', 'entropy-min.json')


def softmax(row):
    m = max(row)
    e = [math.exp(v - m) for v in row]
    s = sum(e)
    return [v / s for v in e]


def entropy_min_loss(logits_labeled, labels, logits_unlabeled, weight):
    """sup = mean CE of softmax(logits_labeled) vs labels; unsup = mean entropy of softmax(logits_unlabeled)."""
    sup = sum(-math.log(softmax(row)[y]) for row, y in zip(logits_labeled, labels)) / len(labels)
    unsup = sum(-sum(p * math.log(p) for p in softmax(row) if p > 0) for row in logits_unlabeled) / len(logits_unlabeled)
    return {'total': sup + weight * unsup, 'sup': sup, 'unsup': unsup}


def grid(rng, rows, cols):
    """Values on a 1/16 grid in [-3, 3): exact in float32, so every backend sees the same inputs."""
    return [[rng.randrange(-48, 48) / 16 for _ in range(cols)] for _ in range(rows)]


def tensor(rows):
    return {'shape': [len(rows), len(rows[0])], 'data': [v for row in rows for v in row]}


def main():
    rng = random.Random(SEED)
    classes = 3
    labeled = grid(rng, 4, classes)
    labels = [rng.randrange(classes) for _ in range(4)]
    unlabeled = grid(rng, 5, classes)
    weight = 0.1
    cases = [
        {
            'kind': 'entropyMinLoss',
            'name': 'entropyMinLoss/basic',
            'what': 'sup = mean cross-entropy of softmax(logitsLabeled) against labels; unsup = mean over unlabelled rows of the '
            'entropy -sum_c p_c ln p_c of softmax(logitsUnlabeled); total = sup + weight*unsup (Grandvalet & Bengio 2004).',
            'inputs': {'logitsLabeled': tensor(labeled), 'labels': {'shape': [4], 'data': labels}, 'logitsUnlabeled': tensor(unlabeled)},
            'params': {'weight': weight},
            'expected': entropy_min_loss(labeled, labels, unlabeled, weight),
            'atol': 1e-5,
            'rtol': 1e-4,
        },
        {
            'kind': 'entropyMinLoss',
            'name': 'entropyMinLoss/label-out-of-range',
            'what': 'a label >= number of classes is rejected.',
            'inputs': {
                'logitsLabeled': {'shape': [2, 3], 'data': [0, 1, 2, 3, 4, 5]},
                'labels': {'shape': [2], 'data': [0, 3]},
                'logitsUnlabeled': {'shape': [1, 3], 'data': [0, 0, 0]},
            },
            'params': {'weight': weight},
            'expected': 'error',
            'atol': 0,
            'rtol': 0,
        },
    ]
    golden = {
        'package': '@lel/entropy-min',
        'seed': SEED,
        'generator': 'reference/golden.py (pure-Python float64 reference of the loss)',
        'conventions': 'pass if |a-e| <= atol + rtol*|e|',
        'cases': cases,
    }
    with open(OUT, 'w') as f:
        f.write(json.dumps(golden, indent=1) + '\n')
    print(f'wrote {os.path.relpath(OUT)}')


if __name__ == '__main__':
    main()
