#!/usr/bin/env python3
"""Turn pretrain.py's output (sharded fp32 safetensors, HF layout) into the folder @lel/models ships:
one model.safetensors in F16 (every tensor, pretraining heads included so pretraining can continue from it),
config.json (dtype float16), vocab.txt and tokenizer_config.json.

usage: /usr/bin/python3 to_f16.py <pretrain.py output folder> <destination folder>"""
import json
import os
import shutil
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'common'))
import safetensors_io  # noqa: E402

src, dst = sys.argv[1:3]
os.makedirs(dst, exist_ok=True)
w = safetensors_io.read_checkpoint(src)
big = max(float(np.abs(a).max()) for a in w.values())
if big >= 65504:
    raise SystemExit(f'a weight of magnitude {big} does not fit in float16')
rel = max(float(np.abs(a.astype(np.float16).astype(np.float32) - a).max() / max(1e-12, float(np.abs(a).max()))) for a in w.values())
safetensors_io.write(os.path.join(dst, 'model.safetensors'), w, metadata={'format': 'pt'}, dtype='F16')
cfg = json.load(open(os.path.join(src, 'config.json')))
cfg['dtype'] = 'float16'
cfg['torch_dtype'] = 'float16'
json.dump(cfg, open(os.path.join(dst, 'config.json'), 'w'), indent=2)
shutil.copy(os.path.join(src, 'vocab.txt'), os.path.join(dst, 'vocab.txt'))
json.dump({'tokenizer_class': 'BertTokenizer', 'do_lower_case': True, 'strip_accents': None, 'tokenize_chinese_chars': True,
           'model_max_length': cfg['max_position_embeddings'], 'unk_token': '[UNK]', 'sep_token': '[SEP]', 'pad_token': '[PAD]',
           'cls_token': '[CLS]', 'mask_token': '[MASK]'}, open(os.path.join(dst, 'tokenizer_config.json'), 'w'), indent=2)
print(f'{len(w)} tensors, {sum(a.size for a in w.values()):,} parameters, largest |w| {big:.3f}, '
      f'largest F16 rounding error {rel:.2e} of a tensor\'s max; {os.path.getsize(os.path.join(dst, "model.safetensors")):,} bytes')
