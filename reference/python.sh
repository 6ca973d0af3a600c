#!/bin/sh
# Run a reference script with a Python that has PyTorch: $LEL_PYTHON, else Debian's /usr/bin/python3 (where
# python3-torch installs), else python3 on PATH.
for py in "$LEL_PYTHON" /usr/bin/python3 python3; do
  [ -n "$py" ] && "$py" -c 'import torch' 2>/dev/null && exec "$py" "$@"
done
echo "reference: no Python with PyTorch found (apt-get install python3-torch python3-scipy python3-sklearn, or set LEL_PYTHON)" >&2
exit 1
