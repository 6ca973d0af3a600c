#!/usr/bin/env node
// Release check: in a throw-away git worktree, add a patch changeset for @lel/core only and run
// `changeset version`; every @lel/* package (one `fixed` group) must move to the same new version, and no
// package may get a major bump through peer dependencies. Then `pnpm publish -r --dry-run` in the checkout.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, existsSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const sh = (cmd, args, cwd) => execFileSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const versions = (dir) =>
  Object.fromEntries(
    readdirSync(join(dir, 'packages'))
      .filter((d) => existsSync(join(dir, 'packages', d, 'package.json')))
      .map((d) => JSON.parse(readFileSync(join(dir, 'packages', d, 'package.json'), 'utf8')))
      .filter((p) => !p.private)
      .map((p) => [p.name, p.version]),
  );

const wt = join(mkdtempSync(join(tmpdir(), 'lel-release-')), 'wt');
sh('git', ['worktree', 'add', '--detach', wt, 'HEAD'], root);
let failed = false;
try {
  symlinkSync(join(root, 'node_modules'), join(wt, 'node_modules'));
  const before = versions(wt);
  writeFileSync(join(wt, '.changeset', 'zz-release-check.md'), '---\n"@lel/core": patch\n---\n\nRelease check.\n');
  sh('node', [join(root, 'node_modules', '@changesets', 'cli', 'bin.js'), 'version'], wt);
  const after = versions(wt);
  const distinct = new Set(Object.values(after));
  if (distinct.size !== 1) {
    failed = true;
    console.error(`release check: the fixed @lel/* group ended on several versions: ${JSON.stringify(after)}`);
  }
  for (const [name, v] of Object.entries(after)) {
    const [maj0] = before[name].split('.');
    const [maj1] = v.split('.');
    if (maj1 !== maj0) {
      failed = true;
      console.error(`release check: ${name} got a major bump ${before[name]} -> ${v}`);
    }
    if (!existsSync(join(wt, 'packages', name.replace('@lel/', ''), 'CHANGELOG.md'))) {
      failed = true;
      console.error(`release check: ${name} has no CHANGELOG.md after versioning`);
    }
  }
  if (!failed) console.log(`release check: changeset version -> ${[...distinct][0]} for ${Object.keys(after).length} packages`);
} finally {
  sh('git', ['worktree', 'remove', '--force', wt], root);
}
// Publish dry run (needs built dist/ folders).
try {
  const out = sh('pnpm', ['-r', 'publish', '--dry-run', '--no-git-checks', '--access', 'public'], root);
  const published = new Set(out.match(/@lel\/[a-z0-9-]+@\d+\.\d+\.\d+/g) ?? []);
  const expected = Object.keys(versions(root)).length;
  if (published.size !== expected) {
    failed = true;
    console.error(`release check: publish dry run covered ${published.size} packages, expected ${expected}:\n${out}`);
  } else console.log(`release check: publish dry run ok for ${published.size} packages`);
} catch (e) {
  failed = true;
  console.error(`release check: publish dry run failed:\n${e.stdout}${e.stderr}`);
}
process.exit(failed ? 1 : 0);
