#!/usr/bin/env node
// Browser check: bundles the main entry (`.`) of every publishable @lel/* package with esbuild for the browser
// (`--platform=browser`, the bundler settings a web app uses) and fails when any module in the bundle imports a
// Node built-in (node:fs, path, crypto, worker_threads, …), naming the importing file and line. Node-only code
// belongs in the package's `/node` entry, which this check does not bundle.
//
//   node scripts/check-browser.mjs            built packages (dist/, what npm users get; run `pnpm build` first)
//   node scripts/check-browser.mjs --source   TypeScript sources (the `@lel/source` condition; no build needed)
//   node scripts/check-browser.mjs @lel/core  only the named packages
import { builtinModules } from 'node:module';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const fromSource = args.includes('--source');
const only = args.filter((a) => !a.startsWith('--'));

const builtins = new Set(builtinModules.flatMap((m) => [m, `node:${m}`]));
// esbuild's "Could not resolve" for a built-in names the module; other resolution failures are reported as they are.
const isBuiltin = (spec) => builtins.has(spec) || builtins.has(spec.split('/')[0]) || spec.startsWith('node:');

const pkgs = readdirSync(join(root, 'packages'))
  .map((d) => join(root, 'packages', d))
  .filter((d) => existsSync(join(d, 'package.json')))
  .map((dir) => ({ dir, json: JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) }))
  .filter((p) => !p.json.private && (only.length === 0 || only.includes(p.json.name)));
if (only.length && pkgs.length !== only.length) {
  console.error(`unknown package(s): ${only.filter((n) => !pkgs.some((p) => p.json.name === n)).join(', ')}`);
  process.exit(2);
}

const conditions = fromSource ? ['@lel/source', 'browser', 'import', 'module', 'default'] : ['browser', 'import', 'module', 'default'];
let failures = 0;
for (const { dir, json } of pkgs) {
  const name = json.name;
  if (!fromSource && !existsSync(join(dir, 'dist'))) {
    failures++;
    console.error(`FAIL ${name}: no dist/ — run pnpm build first (or pass --source)`);
    continue;
  }
  try {
    const result = await build({
      // Import the package by name from its own folder, so resolution goes through its `exports` like a user's.
      stdin: { contents: `export * from '${name}';`, resolveDir: dir, loader: 'js' },
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      target: 'es2022',
      conditions,
      mainFields: ['browser', 'module', 'main'],
      metafile: true,
      logLevel: 'silent',
      // .wasm, fonts and the like are fetched by URL in a page; the check is about modules.
      loader: { '.wasm': 'file', '.ttf': 'file' },
      outdir: join(dir, '.browser-check'),
      absWorkingDir: root,
    });
    const bytes = result.outputFiles.filter((f) => f.path.endsWith('.js')).reduce((s, f) => s + f.contents.length, 0);
    const inputs = Object.keys(result.metafile.inputs).length;
    console.log(`ok   ${name}: ${inputs} modules, ${(bytes / 2 ** 20).toFixed(2)} MiB unminified, no Node built-ins`);
  } catch (e) {
    failures++;
    const errors = e.errors ?? [{ text: String(e) }];
    const node = [];
    const other = [];
    for (const err of errors) {
      const spec = /Could not resolve "([^"]+)"/.exec(err.text)?.[1];
      const where = err.location ? `${err.location.file}:${err.location.line}` : '<entry>';
      if (spec && isBuiltin(spec)) node.push(`  ${where} imports ${spec}`);
      else other.push(`  ${where}: ${err.text}`);
    }
    console.error(`FAIL ${name}: ${node.length} Node built-in import(s)${other.length ? `, ${other.length} other error(s)` : ''} in the browser bundle of its main entry`);
    for (const line of [...new Set(node)].sort()) console.error(line);
    for (const line of other) console.error(line);
  }
}
console.log(`${pkgs.length - failures} passed, ${failures} failed${fromSource ? ' (sources)' : ''}`);
process.exit(failures ? 1 : 0);
