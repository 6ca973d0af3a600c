import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** What {@link measureInChild} observed. */
export interface ChildMeasurement {
  /** Whether the call returned (false: it threw, see `error`). */
  ok: boolean;
  error?: { name: string; message: string; code?: string };
  /** Wall time of the call alone, ms. */
  ms: number;
  /**
   * The child's peak resident memory after the call minus its resident memory before it, MiB: an upper
   * bound on what the call added (it includes any start-up peak above the resident memory at the call).
   */
  peakRssDeltaMb: number;
  /** Resident memory before the call (Node, tsx and the module loaded), MiB. */
  baselineRssMb: number;
}

/** Options of {@link measureInChild}. */
export interface MeasureInChildOptions {
  /** Kill the child after this long (the measurement then fails). Default 60 s. */
  timeoutMs?: number;
  /** Working directory of the child (where `tsx` resolves). Default: the directory of the module. */
  cwd?: string;
}

// Runs in the child: import the module, call the export, report time and peak-RSS growth on one line.
const CHILD = `
const [url, name, argsJson] = process.argv.slice(1);
const m = await import(url);
const fn = m[name] ?? m.default?.[name];
if (typeof fn !== 'function') throw new Error(url + ' has no export ' + name);
const args = JSON.parse(argsJson);
const base = process.memoryUsage().rss / 1024;
const t0 = performance.now();
const out = { ok: true };
try { await fn(...args); } catch (e) { out.ok = false; out.error = { name: String(e?.name), message: String(e?.message).slice(0, 4000), code: e?.code === undefined ? undefined : String(e.code) }; }
out.ms = performance.now() - t0;
out.baselineRssMb = base / 1024;
// Peak after the call minus resident memory before it: an upper bound on what the call added (never hides a spike).
out.peakRssDeltaMb = Math.max(0, process.resourceUsage().maxRSS - base) / 1024;
process.stdout.write('\\n@@MEASURE@@' + JSON.stringify(out) + '\\n');
`;

/**
 * Call export `exportName` of the module at `moduleUrl` with the JSON-serialisable `args` in a fresh Node
 * process (TypeScript through tsx; workspace packages resolve to their sources via the `@lel/source`
 * condition) and report how long the call took and how much it raised the process's peak resident memory.
 * For asserting that a limit holds in time and memory on hostile input: a fresh process is the only place
 * where a peak-memory figure belongs to one call. Needs `tsx` installed where the child runs.
 */
export function measureInChild(moduleUrl: string | URL, exportName: string, args: unknown[] = [], options: MeasureInChildOptions = {}): Promise<ChildMeasurement> {
  const url = String(moduleUrl);
  const cwd = options.cwd ?? (url.startsWith('file:') ? fileURLToPath(new URL('.', url)) : process.cwd());
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=@lel/source', '--import', 'tsx', '--input-type=module', '-e', CHILD, url, exportName, JSON.stringify(args)], {
      cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const line = stdout.split('\n').find((l) => l.startsWith('@@MEASURE@@'));
      if (!line) {
        reject(new Error(`measureInChild(${url} ${exportName}): the child ended (code ${code}, signal ${signal}) without a measurement\n${stderr.slice(-4000)}`));
        return;
      }
      resolve(JSON.parse(line.slice('@@MEASURE@@'.length)) as ChildMeasurement);
    });
  });
}
