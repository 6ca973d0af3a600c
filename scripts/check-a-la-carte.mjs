#!/usr/bin/env node
// À la carte check: pack every publishable @lel/* package, install each tarball into a fresh temporary
// project with ONLY its declared dependencies and peers (tfjs-core + one backend), then import it from ESM
// and CommonJS, type-check an import under Node16 resolution, and run the package's smoke call
// (`a-la-carte.smoke.mjs` in the package folder: `export async function smoke(mod, tf, nodeMod)`, `nodeMod` being the
// package's `/node` entry when it has one). A smoke file may also `export const peers = [...]`: optional peers its
// call needs (e.g. @lel/datasets' embedded-data packages), installed at the versions the package declares.
// Fails when a package imports something it does not declare, ships without types, or its smoke call fails.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync, copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const only = process.argv.slice(2);
const work = mkdtempSync(join(tmpdir(), 'lel-a-la-carte-'));
const tarballs = join(work, 'tarballs');
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');

const run = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8' });

const pkgs = readdirSync(join(root, 'packages'))
  .map((d) => join(root, 'packages', d))
  .filter((d) => existsSync(join(d, 'package.json')))
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.json.private && (only.length === 0 || only.includes(p.json.name)));

// 1. Pack on demand (pnpm rewrites workspace:/catalog: ranges to real versions).
const dirOf = new Map(
  readdirSync(join(root, 'packages'))
    .map((d) => join(root, 'packages', d))
    .filter((d) => existsSync(join(d, 'package.json')))
    .map((d) => [JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).name, d]),
);
const packed = new Map();
const tarballOf = {
  get(name) {
    if (packed.has(name)) return packed.get(name);
    const dir = dirOf.get(name);
    if (!dir) throw new Error(`${name} is not a workspace package`);
    if (!existsSync(join(dir, 'dist'))) throw new Error(`${name}: no dist/ — run pnpm build first`);
    const out = run('pnpm', ['pack', '--pack-destination', tarballs], dir).trim().split('\n').pop();
    const file = out.startsWith('/') ? out : join(tarballs, out.split('/').pop());
    packed.set(name, file);
    return file;
  },
};

let failures = 0;
for (const { dir, json } of pkgs) {
  const name = json.name;
  const proj = join(work, name.replace('/', '__'));
  const started = Date.now();
  try {
    execFileSync('mkdir', ['-p', proj]);
    // Only the package, its @lel/* dependencies (as local tarballs), and the required peers.
    const lelDeps = new Set([name]);
    const queue = [name];
    while (queue.length) {
      const n = queue.pop();
      const pj = JSON.parse(run('tar', ['-xOzf', tarballOf.get(n), 'package/package.json'], work));
      for (const d of Object.keys(pj.dependencies ?? {})) {
        if (d.startsWith('@lel/') && !lelDeps.has(d)) {
          lelDeps.add(d);
          queue.push(d);
        }
      }
    }
    const overrides = Object.fromEntries([...lelDeps].map((n) => [n, `file:${tarballOf.get(n)}`]));
    const smokePeers = existsSync(join(dir, 'a-la-carte.smoke.mjs')) ? ((await import(join(dir, 'a-la-carte.smoke.mjs'))).peers ?? []) : [];
    const peerInstalls = Object.fromEntries(
      smokePeers.map((p) => {
        if (!json.peerDependenciesMeta?.[p]?.optional) throw new Error(`a-la-carte.smoke.mjs lists "${p}", which is not an optional peer of ${name}`);
        return [p, json.peerDependencies[p]];
      }),
    );
    writeFileSync(
      join(proj, 'package.json'),
      JSON.stringify(
        {
          name: 'a-la-carte-smoke',
          private: true,
          type: 'module',
          dependencies: {
            ...overrides,
            '@tensorflow/tfjs-core': '4.22.0',
            '@tensorflow/tfjs-backend-cpu': '4.22.0',
            ...peerInstalls,
          },
          overrides,
        },
        null,
        2,
      ),
    );
    run('npm', ['install', '--no-audit', '--no-fund', '--loglevel=error', '--ignore-scripts'], proj);
    const smokeSrc = join(dir, 'a-la-carte.smoke.mjs');
    if (!existsSync(smokeSrc)) throw new Error(`missing ${smokeSrc} (export async function smoke(mod, tf))`);
    copyFileSync(smokeSrc, join(proj, 'smoke-impl.mjs'));
    // The Node-only entry (`<name>/node`), when the package has one, is the smoke call's third argument.
    const hasNode = Boolean(json.exports?.['./node']);
    writeFileSync(
      join(proj, 'smoke.mjs'),
      `import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { createRequire } from 'node:module';
import * as esm from '${name}';
${hasNode ? `import * as nodeEsm from '${name}/node';` : 'const nodeEsm = undefined;'}
import { smoke } from './smoke-impl.mjs';
await tf.setBackend('cpu');
const cjs = createRequire(import.meta.url)('${name}');
const nodeCjs = ${hasNode ? `createRequire(import.meta.url)('${name}/node')` : 'undefined'};
const a = Object.keys(esm).filter((k) => k !== 'default').sort().join(',');
const b = Object.keys(cjs).filter((k) => k !== 'default' && k !== '__esModule').sort().join(',');
if (a !== b) throw new Error('ESM and CJS exports differ:\\n ESM ' + a + '\\n CJS ' + b);
if (!a) throw new Error('no exports');
const before = tf.memory().numTensors;
await smoke(esm, tf, nodeEsm);
await smoke(cjs, tf, nodeCjs);
console.log('exports ' + a.split(',').length + ', tensors leaked by smoke: ' + (tf.memory().numTensors - before));
`,
    );
    const out = run('node', ['smoke.mjs'], proj).trim();
    // Types: an import must type-check under Node16 resolution (ESM and CJS consumers).
    writeFileSync(join(proj, 'types-esm.mts'), `import * as m from '${name}';\nexport const keys: string[] = Object.keys(m);\n`);
    writeFileSync(join(proj, 'types-cjs.cts'), `import m = require('${name}');\nexport const keys: string[] = Object.keys(m);\n`);
    writeFileSync(
      join(proj, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'node16', moduleResolution: 'node16', strict: true, noEmit: true, skipLibCheck: true, types: [] }, files: ['types-esm.mts', 'types-cjs.cts'] }),
    );
    try {
      run('node', [tsc, '-p', 'tsconfig.json'], proj);
    } catch (e) {
      throw new Error(`types do not resolve for ESM/CJS consumers:\n${e.stdout}${e.stderr}`);
    }
    console.log(`ok   ${name} (${((Date.now() - started) / 1000).toFixed(1)} s): ${out.split('\n').pop()}`);
  } catch (e) {
    failures++;
    console.error(`FAIL ${name}: ${e.message}\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}
rmSync(work, { recursive: true, force: true });
console.log(`${pkgs.length - failures} passed, ${failures} failed`);
process.exit(failures ? 1 : 0);
