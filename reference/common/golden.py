"""Recompute the expected values of a golden case file (format: /work/shared/golden/FORMAT.md, copied into each
package's src/fixtures/) from its inputs and params, with float64 PyTorch / NumPy / SciPy / scikit-learn.

    regenerate('packages/cct/src/fixtures/cct.json', HANDLERS, check)

Every case is dispatched on its `kind` to a handler `(inputs, params, case) -> expected` (a dict, or 'error' when
the input must be rejected). With `check`, every recomputed value is compared with the committed one (within
1e-9 + 1e-7·|e|, far inside the cases' own float32 tolerances) and a mismatch raises; otherwise the file's expected
values are rewritten in place (inputs, params and tolerances kept)."""
import json
import os

import numpy as np

from fixtures import REPO, Mismatch

RTOL, ATOL = 1e-7, 1e-9


def arr(v, dtype=np.float64):
    """A golden tensor {shape, data} as a numpy array."""
    return np.asarray(v['data'], dtype=dtype).reshape(v['shape'])


def tensor(a, integer=False):
    """A numpy array (or scalar array) as a golden tensor."""
    a = np.asarray(a)
    data = a.reshape(-1).tolist()
    if integer:
        data = [int(x) for x in data]
    else:
        data = [float(x) for x in data]
    return {'shape': list(a.shape), 'data': data}


def _is_int_tensor(v):
    return isinstance(v, dict) and 'data' in v and all(isinstance(x, int) and not isinstance(x, bool) for x in v['data'])


def _compare(new, old, path):
    if isinstance(old, dict) and 'shape' in old and 'data' in old:
        if not (isinstance(new, dict) and new.get('shape') == old['shape']):
            raise Mismatch(f'{path}: shape {new.get("shape") if isinstance(new, dict) else new} vs committed {old["shape"]}')
        a, e = np.asarray(new['data'], dtype=np.float64), np.asarray(old['data'], dtype=np.float64)
        bad = np.abs(a - e) > ATOL + RTOL * np.abs(e)
        if bad.any():
            i = int(np.argmax(bad))
            raise Mismatch(f'{path}[{i}]: regenerated {a[i]!r}, committed {e[i]!r}')
    elif isinstance(old, dict):
        if not isinstance(new, dict) or set(new) != set(old):
            raise Mismatch(f'{path}: keys {sorted(new) if isinstance(new, dict) else new} vs committed {sorted(old)}')
        for k in old:
            _compare(new[k], old[k], f'{path}.{k}')
    elif isinstance(old, list):
        if not isinstance(new, list) or len(new) != len(old):
            raise Mismatch(f'{path}: list differs')
        for i, (a, b) in enumerate(zip(new, old)):
            _compare(a, b, f'{path}[{i}]')
    elif isinstance(old, bool) or isinstance(old, str) or old is None:
        if new != old:
            raise Mismatch(f'{path}: regenerated {new!r}, committed {old!r}')
    elif isinstance(old, (int, float)):
        if not abs(float(new) - float(old)) <= ATOL + RTOL * abs(float(old)):
            raise Mismatch(f'{path}: regenerated {new!r}, committed {old!r}')
    else:
        raise Mismatch(f'{path}: cannot compare {type(old).__name__}')


def _like(new, old):
    """Give regenerated values the committed file's JSON form (integer tensors stay integers, scalars plain)."""
    if isinstance(old, dict) and 'shape' in old:
        if isinstance(new, dict) and 'shape' in new:
            return tensor(arr(new), integer=_is_int_tensor(old)) if _is_int_tensor(old) else new
        return tensor(new, integer=_is_int_tensor(old))
    if isinstance(old, dict) and isinstance(new, dict):
        return {k: _like(new[k], old[k]) if k in old else new[k] for k in new}
    if isinstance(old, bool):
        return bool(new)
    if isinstance(old, int) and not isinstance(old, bool):
        return int(new)
    if isinstance(old, float):
        return float(new)
    if isinstance(old, list) and isinstance(new, (list, np.ndarray)):
        return [_like(a, b) for a, b in zip(list(new), old)]
    return new


def regenerate(rel, handlers, check=False, generator=None):
    """Recompute (or, with check, verify) every case of the golden file `rel` (repo-relative)."""
    path = os.path.join(REPO, rel)
    doc = json.load(open(path))
    base = os.path.dirname(path)
    for case in doc['cases']:
        kind = case['kind']
        if kind not in handlers:
            raise Mismatch(f'{rel}: no reference handler for kind "{kind}" ({case["name"]})')
        new = handlers[kind](case['inputs'], case['params'], {'case': case, 'dir': base})
        old = case['expected']
        if old == 'error' or new == 'error':
            if new != old:
                raise Mismatch(f'{rel} {case["name"]}: regenerated {"error" if new == "error" else "a value"}, committed {"error" if old == "error" else "a value"}')
            continue
        new = _like(new, old)
        if check:
            _compare(new, old, f'{rel} {case["name"]}')
        else:
            case['expected'] = new
    if check:
        return 'same'
    if generator:
        doc['generator'] = generator
    with open(path + '.tmp', 'w') as f:
        json.dump(doc, f, separators=(',', ':'), ensure_ascii=False)
    os.replace(path + '.tmp', path)
    return 'written'
