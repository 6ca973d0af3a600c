"""Minimal safetensors reader/writer (the format of huggingface/safetensors: u64 LE header size, JSON header,
row-major little-endian data). The Debian python3-torch here has no `safetensors` package, so the reference
scripts (vision and text) use this one module; F32/F64/F16/BF16/I32/I64/U8 cover BERT checkpoints, golden cases
and trajectory fixtures."""
import json
import struct

import numpy as np

_NP = {'F64': np.float64, 'F32': np.float32, 'F16': np.float16, 'I64': np.int64, 'I32': np.int32, 'U8': np.uint8}


def read(path):
    """Tensors of one file as {name: numpy array} (BF16 widened to float32), plus the metadata dict."""
    with open(path, 'rb') as f:
        raw = f.read()
    (n,) = struct.unpack('<Q', raw[:8])
    header = json.loads(raw[8:8 + n])
    meta = header.pop('__metadata__', {})
    base = 8 + n
    out = {}
    for name, e in header.items():
        b, end = e['data_offsets']
        buf = raw[base + b:base + end]
        if e['dtype'] == 'BF16':
            u = np.frombuffer(buf, dtype='<u2').astype(np.uint32) << 16
            arr = u.view(np.float32)
        else:
            arr = np.frombuffer(buf, dtype=np.dtype(_NP[e['dtype']]).newbyteorder('<')).copy()
        out[name] = arr.reshape(e['shape'])
    return out, meta


def read_checkpoint(path):
    """A file, a folder with model.safetensors, or a sharded folder (model.safetensors.index.json)."""
    import os
    if os.path.isdir(path):
        idx = os.path.join(path, 'model.safetensors.index.json')
        if os.path.exists(idx):
            files = sorted(set(json.load(open(idx))['weight_map'].values()))
            out = {}
            for f in files:
                out.update(read(os.path.join(path, f))[0])
            return out
        path = os.path.join(path, 'model.safetensors')
    return read(path)[0]


def write(path, tensors, metadata=None, dtype=None):
    """Write {name: numpy array or torch tensor}; `dtype` ('F32', 'F16', …) casts every float tensor. Names are
    sorted (as the reference implementation does) and the header is space-padded to a multiple of 8 bytes."""
    import os
    header = {}
    blobs = []
    off = 0
    for name in sorted(tensors):
        a = tensors[name]
        if hasattr(a, 'detach'):
            a = a.detach().cpu().numpy()
        a = np.asarray(a)
        if a.dtype.kind == 'f':
            code = dtype or {np.dtype(np.float64): 'F64', np.dtype(np.float16): 'F16'}.get(a.dtype, 'F32')
        else:
            code = {np.dtype(np.int64): 'I64', np.dtype(np.uint8): 'U8'}.get(a.dtype, 'I32')
        b = np.ascontiguousarray(a.astype(np.dtype(_NP[code]).newbyteorder('<'))).tobytes()
        header[name] = {'dtype': code, 'shape': list(a.shape), 'data_offsets': [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    if metadata:
        header['__metadata__'] = {str(k): str(v) for k, v in metadata.items()}
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)
