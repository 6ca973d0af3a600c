import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { executeGrid } from './execute';
import type { GridRun } from './grid';
import { codeVersion, readRunRecord, runVersionLabel, versionLabel, type CodeVersion } from './provenance';

const packages = (v: CodeVersion) => Object.keys(v.packages).sort();

describe('code version of a run', () => {
  it('is the commit of the LEL checkout, dirty only for tracked changes under packages/ or apps/', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-prov-'));
    const g = (...args: string[]) => execFileSync('git', ['-C', root, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { encoding: 'utf8' }).trim();
    fs.mkdirSync(path.join(root, 'apps', 'lel', 'src'), { recursive: true });
    fs.mkdirSync(path.join(root, 'packages', 'core'), { recursive: true });
    fs.writeFileSync(path.join(root, 'pnpm-workspace.yaml'), 'packages: []\n');
    fs.writeFileSync(path.join(root, 'apps', 'lel', 'package.json'), '{"name":"lel"}\n');
    fs.writeFileSync(path.join(root, 'packages', 'core', 'a.ts'), 'export {};\n');
    fs.writeFileSync(path.join(root, 'README.md'), 'x\n');
    g('init', '-q');
    g('add', '-A');
    g('commit', '-q', '-m', 'x');
    const from = path.join(root, 'apps', 'lel', 'src');
    const clean = codeVersion(from);
    expect(clean.commit).toBe(g('rev-parse', 'HEAD'));
    expect(clean.dirty).toBe(false);
    expect(packages(clean)).toEqual(['@lel/core', 'lel']);
    // Untracked files and tracked files outside packages/ and apps/ do not make the code dirty.
    fs.writeFileSync(path.join(root, 'packages', 'core', 'new.ts'), 'export {};\n');
    fs.writeFileSync(path.join(root, 'README.md'), 'y\n');
    expect(codeVersion(from).dirty).toBe(false);
    fs.writeFileSync(path.join(root, 'packages', 'core', 'a.ts'), 'export const a = 1;\n');
    const dirty = codeVersion(from);
    expect(dirty.dirty).toBe(true);
    expect(versionLabel(dirty)).toBe(`${dirty.commit!.slice(0, 7)}+dirty`);
    // An installed app (under node_modules) or a folder outside any LEL checkout records the package versions only.
    const installed = path.join(root, 'node_modules', 'lel', 'dist');
    fs.mkdirSync(installed, { recursive: true });
    expect(codeVersion(installed).commit).toBeUndefined();
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-prov-out-'));
    const bare = codeVersion(outside);
    expect(bare).toEqual({ packages: bare.packages });
    expect(versionLabel(bare)).toMatch(/^lel \S+, @lel\/core \S+$/);
  });

  it('keeps the attempts a resumed run continued from, and names each code version', async () => {
    const out = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-prov-grid-'));
    const run = (seed: number): GridRun => ({ key: 'r', recipe: 'sup', seed, sets: [`seed=${seed}`], dir: path.join(out, `seed${seed}`), needs: [] });
    const old: CodeVersion = { commit: 'a'.repeat(40), dirty: false, packages: { lel: '0.1.0', '@lel/core': '0.1.0' } };
    const now: CodeVersion = { commit: 'b'.repeat(40), dirty: true, packages: { lel: '0.1.0', '@lel/core': '0.1.0' } };
    // Seed 0: interrupted under the old code (a record without finishedAt); seed 1: interrupted before records existed.
    for (const seed of [0, 1]) fs.mkdirSync(path.join(out, `seed${seed}`, 'checkpoints', 'last'), { recursive: true });
    fs.writeFileSync(path.join(out, 'seed0', 'effects-run.json'), JSON.stringify({ recipe: 'sup', seed: 0, sets: ['seed=0'], provenance: { ...old, backend: 'cpu', startedAt: '2026-12-05T01:00:00.000Z' } }));
    const resumed: (string | undefined)[] = [];
    const train = async (_recipe: string, o: { out?: string; resume?: string }) => {
      resumed.push(o.resume);
      fs.writeFileSync(path.join(o.out!, 'summary.json'), '{}');
      return { runDir: o.out!, summary: {} as never, interrupted: false, backend: 'wasm' };
    };
    await executeGrid([run(0), run(1), run(2)], { log: () => {}, train, version: now, backend: 'auto' });
    expect(resumed).toEqual(['last', 'last', undefined]);
    const [r0, r1, r2] = [0, 1, 2].map((s) => readRunRecord(path.join(out, `seed${s}`))!);
    expect(r0!.earlier).toEqual([{ ...old, backend: 'cpu', startedAt: '2026-12-05T01:00:00.000Z' }]);
    expect(r0!.provenance).toMatchObject({ ...now, backend: 'wasm', resumed: true });
    expect(Date.parse(r0!.provenance!.finishedAt!)).toBeGreaterThanOrEqual(Date.parse(r0!.provenance!.startedAt));
    expect(runVersionLabel(r0)).toBe('aaaaaaa + bbbbbbb+dirty');
    expect(runVersionLabel(r1)).toBe('not recorded + bbbbbbb+dirty');
    expect(runVersionLabel(r2)).toBe('bbbbbbb+dirty');
    expect(r2!.provenance!.resumed).toBeUndefined();
    expect(runVersionLabel(null)).toBe('not recorded');
  });
});
