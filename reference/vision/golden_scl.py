#!/usr/bin/env python3
"""Reference values of @lel/scl's golden cases (packages/scl/src/fixtures/scl.json), recomputed from each case's
inputs: spatial similarity and SupCon (yassouali/SCL models/attention.py, losses.py), distillation terms
(train_distillation.py), the few-shot linear probe (scikit-learn LogisticRegression, as eval/meta_eval.py),
ProtoNet logits and the episode confidence interval (scipy Student t).
Run: /usr/bin/python3 reference/vision/golden_scl.py [--check]"""
import os
import sys
import warnings

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'common'))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402

from golden import arr, regenerate, tensor  # noqa: E402
from scl_ref import cosine  # noqa: E402

T = lambda v: torch.tensor(arr(v))  # noqa: E731


def spatial_similarity(i, p, c):
    A, B = T(i['A']), T(i['B'])
    na, h, w, C = A.shape
    nb = B.shape[0]
    fa, fb = A.reshape(na, h * w, C), B.reshape(nb, h * w, C)
    mlp = lambda f, a, b: torch.relu(f @ T(i[a])) @ T(i[b])  # noqa: E731
    qa, ka, va = mlp(fa, 'q1', 'q2'), mlp(fa, 'k1', 'k2'), mlp(fa, 'v1', 'v2')
    qb, kb, vb = mlp(fb, 'q1', 'q2'), mlp(fb, 'k1', 'k2'), mlp(fb, 'v1', 'v2')
    d = qa.shape[-1]
    aligned_a = torch.einsum('jiuv,ivd->jiud', torch.softmax(torch.einsum('jud,ivd->jiuv', qb, ka) / d ** 0.5, dim=-1), va)
    aligned_b = torch.einsum('jiuv,jvd->jiud', torch.softmax(torch.einsum('iud,jvd->jiuv', qa, kb) / d ** 0.5, dim=-1), vb)
    per = cosine(va[None], aligned_b) + cosine(vb[:, None], aligned_a)
    agg = p['aggregation']
    lam = p['lambdaLse']
    sim = {'mean': lambda: per.mean(-1), 'sum': lambda: per.sum(-1), 'max': lambda: per.max(-1).values, 'logsum': lambda: torch.logsumexp(lam * per, -1) / lam}[agg]()
    return {'similarity': tensor(sim), 'perLocation': tensor(per)}


def supcon_parts(sim, pos, inv_t, exclude_self):
    m = sim.shape[0]
    logits0 = sim * inv_t
    logits = logits0 - logits0.max(dim=1, keepdim=True).values
    keep = 1 - torch.eye(m) if exclude_self else torch.ones(m, m)
    mask = pos * keep
    log_prob = logits - torch.log((torch.exp(logits) * keep).sum(1, keepdim=True))
    n_pos = mask.sum(1)
    per = -(mask * log_prob).sum(1) / torch.clamp(n_pos, min=1)
    return per.mean(), per, n_pos


def tiled(labels, m):
    y = torch.tensor(arr(labels, np.int64))
    return torch.cat([y, y]) if 2 * y.shape[0] == m else y


def supcon(i, p, c):
    sim = T(i['similarity'])
    y = tiled(i['labels'], sim.shape[0])
    loss, per, n = supcon_parts(sim, (y[:, None] == y[None, :]).double(), p['inverseTemperature'], p['excludeSelf'])
    return {'loss': float(loss), 'perAnchorLoss': tensor(per), 'numPositives': tensor(n)}


def other_view(m):
    n = m // 2
    eye = torch.eye(n)
    z = torch.zeros(n, n)
    return torch.cat([torch.cat([z, eye], 1), torch.cat([eye, z], 1)], 0)


def selfsup(i, p, c):
    sim = T(i['similarity'])
    loss, per, _ = supcon_parts(sim, other_view(sim.shape[0]), p['inverseTemperature'], True)
    return {'loss': float(loss), 'perAnchorLoss': tensor(per)}


def global_contrastive(i, p, c):
    z = F.normalize(T(i['projections']), dim=-1)
    sim = z @ z.t()
    if 'labels' in i:
        y = tiled(i['labels'], sim.shape[0])
        pos = (y[:, None] == y[None, :]).double()
    else:
        pos = other_view(sim.shape[0])
    loss, per, _ = supcon_parts(sim, pos, p['inverseTemperature'], True)
    return {'similarity': tensor(sim), 'loss': float(loss), 'perAnchorLoss': tensor(per)}


def feature_distance(i, p, c):
    s, t = T(i['student']), T(i['teacher'])
    s, t = s.reshape(-1, s.shape[-1]), t.reshape(-1, t.shape[-1])
    return {'loss': float((2 - 2 * F.cosine_similarity(s, t, dim=-1)).mean())}


def kl_distill(i, p, c):
    s, t, Tm = T(i['studentLogits']), T(i['teacherLogits']), p['temperature']
    ps = F.log_softmax(s / Tm, dim=1)
    pt = F.softmax(t / Tm, dim=1)
    return {'loss': float(F.kl_div(ps, pt, reduction='sum') * Tm ** 2 / s.shape[0])}


def logreg(i, p, c):
    norm = lambda x: x / np.linalg.norm(x, axis=1, keepdims=True)  # noqa: E731
    xs, xq = norm(arr(i['supportFeatures'])), norm(arr(i['queryFeatures']))
    y = arr(i['supportLabels'], np.int64)
    with warnings.catch_warnings():
        warnings.simplefilter('ignore')
        clf = LogisticRegression(penalty='l2', C=p['C'], solver='lbfgs', max_iter=int(p['maxIter']), multi_class='multinomial', random_state=0).fit(xs, y)
    prob = clf.predict_proba(xq)
    return {'probabilities': tensor(prob), 'predictions': tensor(prob.argmax(1)), 'coef': tensor(clf.coef_.T), 'intercept': tensor(clf.intercept_)}


def protonet(i, p, c):
    xs, xq, y = arr(i['supportFeatures']), arr(i['queryFeatures']), arr(i['supportLabels'], np.int64)
    protos = np.stack([xs[y == k].mean(0) for k in sorted(set(y.tolist()))])
    logits = -((xq[:, None, :] - protos[None]) ** 2).sum(-1)
    return {'logits': tensor(logits), 'predictions': tensor(logits.argmax(1))}


def episode_ci(i, p, c):
    a = arr(i['accuracies'])
    sem = stats.sem(a)
    tq = stats.t.ppf((1 + p['confidence']) / 2, len(a) - 1)
    return {'mean': float(a.mean()), 'halfWidth': float(sem * tq), 'sem': float(sem), 'tQuantile': float(tq)}


HANDLERS = {'spatialSimilarity': spatial_similarity, 'supConLoss': supcon, 'selfSupConLoss': selfsup, 'globalContrastiveLoss': global_contrastive,
            'featureDistance': feature_distance, 'klDistillation': kl_distill, 'fewShotLogReg': logreg, 'protoNetLogits': protonet, 'episodeAccuracyCI': episode_ci}


def main(check=False):
    return {'scl.json': regenerate('packages/scl/src/fixtures/scl.json', HANDLERS, check)}


if __name__ == '__main__':
    torch.set_default_dtype(torch.float64)
    print(main('--check' in sys.argv))
