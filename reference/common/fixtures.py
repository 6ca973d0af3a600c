"""Writing and checking the fixtures the reference scripts produce (JSON + safetensors beside it).

`--check` mode (what `pnpm reference --check` runs) recomputes every value and compares it with the committed file
instead of writing: a reference value in the repository is only trusted when the script that made it reproduces it."""
import json
import os

import numpy as np

import safetensors_io

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..'))


class Mismatch(Exception):
    pass


def _close(a, b, rtol, atol, path):
    if isinstance(a, dict):
        if not isinstance(b, dict) or set(a) != set(b):
            raise Mismatch(f'{path}: keys differ: {sorted(a) if isinstance(a, dict) else a} vs {sorted(b) if isinstance(b, dict) else b}')
        for k in a:
            _close(a[k], b[k], rtol, atol, f'{path}.{k}')
    elif isinstance(a, list):
        if not isinstance(b, list) or len(a) != len(b):
            raise Mismatch(f'{path}: lengths differ')
        for i, (x, y) in enumerate(zip(a, b)):
            _close(x, y, rtol, atol, f'{path}[{i}]')
    elif isinstance(a, float) or isinstance(b, float):
        if not abs(a - b) <= atol + rtol * abs(b):
            raise Mismatch(f'{path}: regenerated {a!r}, committed {b!r}')
    elif a != b:
        raise Mismatch(f'{path}: regenerated {a!r}, committed {b!r}')


def emit(rel_json, doc, tensors=None, check=False, rtol=1e-9, atol=1e-12):
    """Write (or, with check, compare against the committed) `rel_json` (repo-relative) and its `.safetensors`."""
    path = os.path.join(REPO, rel_json)
    st_path = path[:-len('.json')] + '.safetensors'
    if check:
        if not os.path.exists(path):
            raise Mismatch(f'{rel_json} is not committed')
        _close(json.loads(json.dumps(doc)), json.load(open(path)), rtol, atol, rel_json)
        if tensors is not None:
            committed, _ = safetensors_io.read(st_path)
            if set(committed) != set(tensors):
                raise Mismatch(f'{st_path}: tensor names differ')
            for k, v in tensors.items():
                c = committed[k]
                if c.shape != np.asarray(v).shape or not np.allclose(np.asarray(v, dtype=np.float64), c.astype(np.float64), rtol=rtol, atol=atol):
                    raise Mismatch(f'{st_path}: {k} differs (max abs diff {np.max(np.abs(np.asarray(v, dtype=np.float64) - c)) if c.shape == np.asarray(v).shape else "shape"})')
        return 'same'
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path + '.tmp', 'w') as f:
        json.dump(doc, f, indent=1)
        f.write('\n')
    os.replace(path + '.tmp', path)
    if tensors is not None:
        safetensors_io.write(st_path + '.tmp', tensors, {'generator': doc.get('generator', '')})
        os.replace(st_path + '.tmp', st_path)
    return 'written'
