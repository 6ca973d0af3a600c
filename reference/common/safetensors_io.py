"""Minimal safetensors reader/writer (huggingface/safetensors format: u64 little-endian header size, JSON header,
row-major little-endian data). Debian's python3-torch has no `safetensors` package; the reference scripts exchange
initial weights, data and final weights with LEL's tests through this."""
import json
import struct

import numpy as np

_DTYPES = {'F64': np.float64, 'F32': np.float32, 'F16': np.float16, 'I64': np.int64, 'I32': np.int32, 'U8': np.uint8}
_NAMES = {np.dtype(v).str.lstrip('<>|='): k for k, v in _DTYPES.items()}


def read(path):
    """{name: numpy array}, metadata dict."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    out = {}
    for name, e in header.items():
        b, end = e['data_offsets']
        arr = np.frombuffer(raw[8 + n + b:8 + n + end], dtype=np.dtype(_DTYPES[e['dtype']]).newbyteorder('<')).copy()
        out[name] = arr.reshape(e['shape'])
    return out, meta


def write(path, tensors, metadata=None):
    """Write {name: array} (sorted by name, 8-byte aligned header) with string metadata."""
    header = {}
    blobs = []
    offset = 0
    for name in sorted(tensors):
        a = np.ascontiguousarray(tensors[name])
        key = a.dtype.str.lstrip('<>|=')
        if key not in _NAMES:
            raise ValueError(f'safetensors: {name} has unsupported dtype {a.dtype}')
        data = a.astype(a.dtype.newbyteorder('<'), copy=False).tobytes()
        header[name] = {'dtype': _NAMES[key], 'shape': list(a.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header['__metadata__'] = {k: str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    with open(path, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
