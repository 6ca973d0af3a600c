import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { PENDING_RECIPES, RECIPES } from './recipes';
import { buildProgram } from './cli';

/** Run a command in this process, returning what it printed on stdout. */
async function inProcess(args: string[]): Promise<string> {
  const chunks: string[] = [];
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = ((c: string | Uint8Array) => (chunks.push(String(c)), true)) as typeof process.stdout.write;
  try {
    await buildProgram().parseAsync(['node', 'lel', ...args]);
  } finally {
    process.stdout.write = write;
  }
  return chunks.join('');
}

const bin = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'lel.js');

function lel(args: string[]): Promise<{ code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, LEL_BACKEND: 'wasm' } });
    let stderr = '';
    let stdout = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.on('data', (d) => (stdout += d));
    child.on('error', reject);
    child.on('exit', (code) => resolve({ code, stderr, stdout }));
  });
}

describe('lel CLI', () => {
  it('lists recipes (with the ones still waiting for their package) and installed method packages', async () => {
    const r = await inProcess(['recipes']);
    for (const recipe of RECIPES) expect(r).toContain(recipe.name);
    for (const p of PENDING_RECIPES) expect(r).toContain(`${p.name}`);
    const m = await inProcess(['methods']);
    expect(m).toMatch(/@lel\/core@\d/);
    expect(m).toMatch(/@lel\/cct@\d/);
  });

  it('fails with one clear line naming a bad key and the allowed keys, or an unknown recipe', async () => {
    const a = await lel(['train', 'cct', '--set', 'data.scnes=8', '--out', path.join(process.env.TMPDIR ?? '/tmp', 'lel-never')]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('data.scnes: unknown key (did you mean "scenes"?); allowed keys: scenes, valScenes, size, variant, labelledFraction, seed');
    expect(a.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const b = await lel(['train', 'nope']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/unknown recipe "nope"; available recipes: cct, cct-supervised/);
    const c = await lel(['train', 'cct', '--backend', 'gpu']);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/Allowed choices are auto, wasm, cpu, tensorflow, tensorflow-gpu/);
  });

  it('documents every command in --help', () => {
    const help = buildProgram().helpInformation();
    for (const cmd of ['train', 'eval', 'predict', 'report', 'bench', 'demo', 'recipes', 'methods']) expect(help).toContain(cmd);
  });
});
