// `pnpm bench:gpu:kit`: a self-contained folder (bench/gpu-kit/, git-ignored, ~35 MB) that runs `pnpm bench:gpu`
// on a GPU machine without network or Node: the benchmark bundled into one file, Dawn's dawn.node and this
// machine's node binary (xz), Debian bookworm's Vulkan loader and GL/EGL dispatch libraries (.deb, unpacked by
// run.sh; the NVIDIA Vulkan driver needs libGLX/libEGL beside libvulkan), torch_gpu.py and run.sh. On the GPU
// machine: `bash run.sh` (see core's README, "Training on a GPU through WebGPU").
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const kit = join(here, 'gpu-kit');
const require = createRequire(import.meta.url);
/** Debian packages the Vulkan loader and NVIDIA's ICD need (measured in shared/reference/webgpu.md). */
const DEBS = ['libvulkan1', 'libegl1', 'libglvnd0', 'libopengl0', 'libgl1', 'libglx0', 'libgles2'];

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
# pnpm bench:gpu on a machine without Node or network (built by \`pnpm bench:gpu:kit\`). Results: $OUT/bench-gpu.json
# (OUT defaults to /tmp) and the log. Extra arguments go to the benchmark (e.g. --models seg-B16-64 --steps 5).
set -e
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
/tmp/lel-node bench-gpu.mjs --out "$OUT/bench-gpu.json" "$@" 2> >(grep -v '^Warning: max' >&2) | tee "$OUT/bench-gpu.jsonl"
`,
);
chmodSync(join(kit, 'run.sh'), 0o755);

const size = (d: string): number => readdirSync(d).reduce((a, f) => a + (statSync(join(d, f)).isDirectory() ? size(join(d, f)) : statSync(join(d, f)).size), 0);
if (!existsSync(join(kit, 'bench-gpu.mjs'))) throw new Error('bundle missing');
console.log(`${kit}: ${(size(kit) / 2 ** 20).toFixed(1)} MiB — copy it to the GPU machine and run \`bash run.sh\``);
