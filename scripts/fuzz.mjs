#!/usr/bin/env node
// `pnpm fuzz`: run every property-based test (`*.property.test.ts`) with a random seed and as many cases
// as a time limit allows, then print cases per property and, for any failure, the seed and replay command.
//
//   pnpm fuzz                      10 minutes of cases in all (vitest start-up on top), random seed
//   pnpm fuzz --time 60            one minute
//   pnpm fuzz --seed 1234          a given seed (replays a reported run)
//   pnpm fuzz --only "safetensors mutations" --seed S --path P
//                                  replay one reported failure (the seed and path it printed)
//
// `pnpm test` runs the same properties with a fixed seed and a few hundred cases each (fast). The
// properties read LEL_FUZZ / LEL_FUZZ_SEED / LEL_FUZZ_TIME_MS / LEL_FUZZ_REPORT (see @lel/core/testing's
// fuzzParameters).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const root = resolve(new URL('..', import.meta.url).pathname);
const { values } = parseArgs({
  options: {
    time: { type: 'string', default: '600' },
    seed: { type: 'string' },
    only: { type: 'string' },
    path: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  process.stdout.write('usage: pnpm fuzz [--time <seconds, default 600>] [--seed <integer>] [--only <property name> [--path <replay path>]]\n');
  process.exit(0);
}
const seconds = Number(values.time);
if (!(seconds > 0)) throw new Error(`--time must be a positive number of seconds, got ${values.time}`);
const seed = values.seed !== undefined ? Number(values.seed) : Math.floor(Math.random() * 2 ** 31);
if (!Number.isInteger(seed)) throw new Error(`--seed must be an integer, got ${values.seed}`);

/** Property test files under packages/*, apps/*, examples/* (skipping node_modules and build output). */
function findPropertyFiles(dir, out = []) {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) findPropertyFiles(p, out);
    else if (name.endsWith('.property.test.ts')) out.push(p);
  }
  return out;
}
const files = ['packages', 'apps', 'examples'].filter((d) => existsSync(join(root, d))).flatMap((d) => findPropertyFiles(join(root, d)));
const count = values.only ? 1 : files.reduce((n, f) => n + (readFileSync(f, 'utf8').match(/runProperty\(/g) ?? []).length, 0);
if (count === 0) throw new Error('no property tests found (*.property.test.ts calling runProperty)');

// One vitest run per file, in turn. `--time` is the time spent generating and checking cases, split evenly
// between the properties; vitest's start-up for each file (seconds, more on a busy machine) comes on top.
const report = join(mkdtempSync(join(tmpdir(), 'lel-fuzz-')), 'report.jsonl');
const perFile = files.map((f) => ({ file: f, count: values.only ? 1 : (readFileSync(f, 'utf8').match(/runProperty\(/g) ?? []).length })).filter((f) => f.count > 0);
const perProperty = Math.max(500, Math.floor((seconds * 1000) / count));
process.stdout.write(`[fuzz] seed ${seed}, ${count} properties in ${perFile.length} files, ${(perProperty / 1000).toFixed(1)} s each (${seconds} s in all, start-up on top)\n`);
const started = Date.now();
let code = 0;
let killed = false;
const readRows = () => (existsSync(report) ? readFileSync(report, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)) : []);
for (const { file, count: n } of perFile) {
  const child = spawn('pnpm', ['exec', 'vitest', 'run', relative(root, file)], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...process.env,
      LEL_FUZZ: '1',
      LEL_FUZZ_SEED: String(seed),
      LEL_FUZZ_TIME_MS: String(perProperty),
      LEL_FUZZ_REPORT: report,
      ...(values.only ? { LEL_FUZZ_ONLY: values.only } : {}),
      ...(values.path ? { LEL_FUZZ_PATH: values.path } : {}),
    },
  });
  // A hard stop well past this file's share (a property that hangs is itself a finding).
  const hard = setTimeout(() => {
    killed = true;
    child.kill('SIGKILL');
  }, n * perProperty + 180_000);
  const c = await new Promise((res) => child.on('close', (x) => res(x ?? 1)));
  clearTimeout(hard);
  if (c !== 0) code = c;
  if (killed) break;
}

const rows = readRows();
const total = rows.reduce((n, r) => n + r.runs, 0);
const w = Math.max(8, ...rows.map((r) => r.name.length));
process.stdout.write(`\n[fuzz] ${'property'.padEnd(w)}  ${'cases'.padStart(9)}  ${'seconds'.padStart(8)}  result\n`);
for (const r of rows) {
  process.stdout.write(`[fuzz] ${r.name.padEnd(w)}  ${String(r.runs).padStart(9)}  ${(r.ms / 1000).toFixed(1).padStart(8)}  ${r.failed ? `FAILED (seed ${r.seed}, path ${r.path})` : 'ok'}\n`);
}
const failed = rows.filter((r) => r.failed);
process.stdout.write(
  `[fuzz] ${rows.length}/${count} properties ran, ${total.toLocaleString('en-US')} cases in ${(rows.reduce((a, r) => a + r.ms, 0) / 1000).toFixed(0)} s ` +
    `(${((Date.now() - started) / 1000).toFixed(0)} s with start-up), seed ${seed}: ` +
    `${failed.length === 0 && code === 0 && !killed ? 'no failure' : `${failed.length} failed${killed ? ', a file ran far past its share and was killed (a hang?)' : ''}${code !== 0 && failed.length === 0 ? `, vitest exited ${code}` : ''}`}\n`,
);
for (const r of failed) {
  process.stdout.write(`[fuzz] replay: pnpm fuzz --only ${JSON.stringify(r.name)} --seed ${r.seed} --path ${r.path}\n`);
}
process.exit(failed.length > 0 || code !== 0 || killed ? 1 : 0);
