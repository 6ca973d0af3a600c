#!/usr/bin/env python3
"""Regenerate (default) or verify (--check) every reference value the repository commits: the golden case files of
the packages and the trajectory fixtures (vision and text), each from the script that made it. `pnpm reference` runs this.

    pnpm reference                 # rewrite every fixture from its script
    pnpm reference --check         # recompute everything and compare with what is committed (fails on a difference)
    pnpm reference --only cct      # the scripts whose name contains "cct"

Needs PyTorch 1.13, NumPy, SciPy and scikit-learn (Debian: python3-torch python3-scipy python3-sklearn); the tests
do not: they read the committed fixtures."""
import argparse
import importlib.util
import os
import subprocess
import sys
import time

ROOT = os.path.dirname(os.path.abspath(__file__))

# Every script that writes fixtures, in the order they run; each has main(check) -> {fixture: 'written' | 'same'}.
SCRIPTS = [
    'vision/golden_core.py',
    'vision/golden_cct.py',
    'vision/golden_arseg.py',
    'vision/golden_scl.py',
    'vision/golden_swa.py',
    'vision/trajectory_cct.py',
    'vision/trajectory_arseg.py',
    'vision/trajectory_scl.py',
    'vision/trajectory_kd.py',
    'vision/trajectory_swa.py',
]

# Scripts run as their own process (their own command lines): (path, arguments to write, arguments to check).
COMMANDS = [
    ('text/golden.py', ['--write'], []),
    ('text/trajectory.py', [], ['--check']),
]


def load(rel):
    path = os.path.join(ROOT, rel)
    sys.path.insert(0, os.path.dirname(path))
    sys.path.insert(0, os.path.join(ROOT, 'common'))
    spec = importlib.util.spec_from_file_location(rel.replace('/', '_')[:-3], path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--check', action='store_true', help='recompute and compare with the committed fixtures instead of writing')
    ap.add_argument('--only', default='', help='run only the scripts whose path contains this')
    a = ap.parse_args()
    import torch
    torch.set_num_threads(1)
    failures = []
    for rel in [s for s in SCRIPTS if a.only in s]:
        t0 = time.time()
        try:
            torch.set_default_dtype(torch.float64 if 'golden' in rel else torch.float32)
            out = load(rel).main(a.check)
            print(f'{rel}: {out} ({time.time() - t0:.1f} s)', flush=True)
        except Exception as e:  # noqa: BLE001 - report every script, then fail
            failures.append(rel)
            print(f'{rel}: FAILED: {e}', flush=True)
    for rel, write_args, check_args in [c for c in COMMANDS if a.only in c[0]]:
        t0 = time.time()
        r = subprocess.run([sys.executable, os.path.join(ROOT, rel), *(check_args if a.check else write_args)], cwd=os.path.dirname(ROOT))
        print(f'{rel}: {"ok" if r.returncode == 0 else f"FAILED (exit {r.returncode})"} ({time.time() - t0:.1f} s)', flush=True)
        if r.returncode != 0:
            failures.append(rel)
    if failures:
        sys.exit(f'{len(failures)} script(s) failed: {", ".join(failures)}')


if __name__ == '__main__':
    main()
