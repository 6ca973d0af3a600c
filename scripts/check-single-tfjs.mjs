#!/usr/bin/env node
// Fails when more than one copy (version) of @tensorflow/tfjs-core is installed in the workspace:
// two copies mean two engines, and kernels registered on one are invisible to the other.
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

const store = join(process.cwd(), 'node_modules', '.pnpm');
if (!existsSync(store)) {
  console.error('check-single-tfjs: node_modules/.pnpm not found; run pnpm install first');
  process.exit(1);
}
const copies = new Set();
for (const entry of readdirSync(store)) {
  if (!entry.startsWith('@tensorflow+tfjs-core@')) continue;
  const pj = join(store, entry, 'node_modules', '@tensorflow', 'tfjs-core', 'package.json');
  if (existsSync(pj)) copies.add(JSON.parse(readFileSync(pj, 'utf8')).version);
}
if (copies.size !== 1) {
  console.error(`check-single-tfjs: expected exactly one @tensorflow/tfjs-core, found ${copies.size}: ${[...copies].join(', ')}`);
  process.exit(1);
}
console.log(`check-single-tfjs: one @tensorflow/tfjs-core (${[...copies][0]})`);
