#!/usr/bin/env node
// Launcher for the `lel` CLI: runs src/cli.ts from TypeScript sources with Node, resolving workspace packages to
// their sources (`@lel/source` condition), loading TypeScript through tsx, and letting Node load tfjs-core's
// extension-less ESM gradient files (`@lel/core/node-hook`). Signals reach the child directly (same process group);
// the launcher only mirrors its exit status.
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const appDir = join(dirname(fileURLToPath(import.meta.url)), '..');
// Resolved from this file, so the launcher works from any working directory.
const tsx = import.meta.resolve('tsx');
const hook = import.meta.resolve('@lel/core/node-hook');
const child = spawn(
  process.execPath,
  ['--conditions=@lel/source', '--import', tsx, '--import', hook, join(appDir, 'src', 'cli.ts'), ...process.argv.slice(2)],
  { stdio: 'inherit', cwd: process.cwd(), env: process.env },
);
// Ctrl-C in a terminal signals the whole process group, so the child already gets SIGINT (checkpoint, exit 130);
// a SIGTERM sent to the launcher alone is passed on.
process.on('SIGINT', () => {});
process.on('SIGTERM', () => child.kill('SIGTERM'));
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
