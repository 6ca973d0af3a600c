import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { PENDING_RECIPES, RECIPES } from './recipes';
import { buildProgram } from './cli';
import { TINY_SETS, tempDir } from './testing';
import { trainCommand } from './train';

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
    const a = await lel(['train', 'cct', '--set', 'data.sze=8', '--out', path.join(process.env.TMPDIR ?? '/tmp', 'lel-never')]);
    expect(a.code).toBe(1);
    expect(a.stderr).toContain('data.sze: unknown key (did you mean "size"?); allowed keys: labelled, unlabelled, dev, test, devFraction, testFraction, stratify, seed, size, resize, channels, prefetch, classes');
    expect(a.stderr).not.toMatch(/\n\s+at /); // no stack trace
    const b = await lel(['train', 'nope']);
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/unknown recipe "nope"; available recipes: cct, cct-supervised/);
    const c = await lel(['train', 'cct', '--backend', 'gpu']);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/Allowed choices are auto, wasm, cpu, webgpu, tensorflow, tensorflow-gpu/);
  });

  it('prints the resolved config without training, and a JSON Schema for editors', async () => {
    const out = path.join(process.env.TMPDIR ?? '/tmp', `lel-print-${process.pid}`);
    const yaml = parseYaml(await inProcess(['train', 'cct', '--print-config', '--set', 'train.maxSteps=7', '--out', out])) as { recipe: string; train: { maxSteps: number; logEvery: number } };
    expect([yaml.recipe, yaml.train.maxSteps, yaml.train.logEvery]).toEqual(['cct', 7, 5]);
    expect(fs.existsSync(out)).toBe(false);
    const schema = JSON.parse(await inProcess(['schema', 'cct'])) as { $schema: string; title: string; properties: Record<string, { properties?: Record<string, { default?: unknown; type?: string }> }> };
    expect(schema.$schema).toMatch(/json-schema\.org\/draft\/2020-12/);
    expect(schema.title).toBe('lel cct config');
    expect(schema.properties.train!.properties!.logEvery).toMatchObject({ type: 'integer', default: 5 });
    // Recipe defaults, not only the schema's, show as defaults (the cct recipe trains 6 epochs, @lel/cct defaults to 80).
    expect(schema.properties.cct!.properties!.train).toBeUndefined();
    expect(schema.properties.train!.properties!.epochs).toMatchObject({ default: 6 });
    await expect(inProcess(['schema', 'nope'])).rejects.toThrow(/unknown recipe "nope"/);
  });

  it('resume and run-folder errors name the path at fault', async () => {
    const dir = tempDir('cli-paths');
    const quiet = { log: () => {} };
    // Was: "<out> is not a run folder" though the resumed path is what does not exist.
    await expect(trainCommand('cct', { ...quiet, resume: '/nonexistent', out: path.join(dir, 'x') })).rejects.toThrow('--resume /nonexistent: no such run or checkpoint folder');
    await expect(trainCommand('cct', { ...quiet, resume: 'last', out: path.join(dir, 'missing') })).rejects.toThrow(`--resume last: the run folder ${path.join(dir, 'missing')} does not exist`);
    fs.mkdirSync(path.join(dir, 'empty'));
    await expect(trainCommand('cct', { ...quiet, resume: path.join(dir, 'empty') })).rejects.toThrow(
      `--resume ${path.join(dir, 'empty')}: neither a run folder (no config.resolved.yaml) nor a checkpoint folder (no state.json)`,
    );
    fs.writeFileSync(path.join(dir, 'file'), '');
    await expect(trainCommand('cct', { ...quiet, out: path.join(dir, 'file', 'run'), set: ['train.maxSteps=1'] })).rejects.toThrow(
      `cannot create run folder ${path.join(dir, 'file', 'run')}: ${path.join(dir, 'file')} is a file, not a folder`,
    );
  });

  it('a resume with a changed config names the flag that allows it, and --allow-config-change continues the run', async () => {
    const out = path.join(tempDir('cli-config-change'), 'run');
    const base = { log: () => {}, progress: 'none' as const, backend: 'wasm', out };
    await trainCommand('cct-supervised', { ...base, set: [...TINY_SETS['cct-supervised']!, 'train.maxSteps=2'] });
    // Was: "Pass allowConfigChange: true", an option the CLI had no flag for.
    await expect(trainCommand('cct-supervised', { ...base, resume: 'last', set: ['train.maxSteps=3'] })).rejects.toThrow(/different config .*lel train: --allow-config-change/);
    const r = await trainCommand('cct-supervised', { ...base, resume: 'last', set: ['train.maxSteps=3'], allowConfigChange: true });
    expect(r.summary?.steps).toBe(3);
    expect(buildProgram().commands.find((c) => c.name() === 'train')!.helpInformation()).toContain('--allow-config-change');
  });

  it('documents every command in --help', () => {
    const help = buildProgram().helpInformation();
    for (const cmd of ['train', 'eval', 'predict', 'report', 'bench', 'demo', 'recipes', 'methods', 'schema']) expect(help).toContain(cmd);
  });
});
