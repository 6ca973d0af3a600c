// Is there a WebGPU adapter for Dawn (npm `webgpu`, @lel/core's dev dependency) on this machine? Prints the
// adapter and exits 0, or prints why not and exits 1. CI runs the webgpu test pass only when this succeeds.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../packages/core/package.json', import.meta.url));
try {
  const { create, globals } = require('webgpu');
  Object.assign(globalThis, globals);
  const adapter = await create([]).requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter) throw new Error('Dawn found no adapter (no usable Vulkan driver: on Debian bookworm install mesa-vulkan-drivers from bookworm-backports, and libvulkan1)');
  const i = adapter.info;
  console.log(`WebGPU adapter: ${i.description || i.device} (${i.vendor}, ${i.architecture})`);
  process.exit(0);
} catch (e) {
  console.log(`no WebGPU adapter: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
}
