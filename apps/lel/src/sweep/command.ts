import * as fs from 'node:fs';
import * as path from 'node:path';
import type { ProgressMode } from '@lel/core';
import { runLocalSweep, runLabel, type SweepOutcome } from './local-pool';
import { readManifest, SWEEP_MANIFEST, writeManifest } from './manifest';
import { planSweep, type SweepPlan } from './plan';
import { checkRedis, DEFAULT_QUEUE_NAME, parseQueueUrl, redactUrl, submitSweep, waitForSweep, type QueueTarget } from './queue';
import { buildSweepReport, gatherRunDirs, gatherSweep, writeSweepReport, type ReportOptions, type SweepReport } from './report';
import { runStatus } from './run-record';
import { loadSweepSpec, type SpecFlags } from './spec';
import { formatStatus, sweepStatus } from './status';

/** Options of {@link sweepCommand} (the `lel sweep` flags). */
export interface SweepCommandOptions extends SpecFlags {
  runsDir?: string;
  workers?: number;
  queue?: string;
  queueName?: string;
  backend?: string;
  /** Print the grid and the runs it needs; train nothing. */
  dryRun?: boolean;
  /** With `--queue`: enqueue and return without following the runs. */
  detach?: boolean;
  progress?: ProgressMode;
  log?: (line: string) => void;
}

/** What `lel sweep` did. */
export interface SweepCommandResult {
  plan: SweepPlan;
  sweepDir: string;
  outcome?: SweepOutcome;
  report?: SweepReport;
}

/** The report options a spec asks for. */
function reportOptionsOf(plan: Pick<SweepPlan, 'name' | 'spec' | 'arms' | 'axes'>): ReportOptions {
  const r = plan.spec.report;
  return {
    title: `Sweep ${plan.name}`,
    arms: plan.arms,
    axes: plan.axes,
    confidence: r.confidence,
    ...(r.baseline ? { baseline: r.baseline } : {}),
    ...(r.compare ? { compare: r.compare } : {}),
    ...(r.metrics ? { metrics: r.metrics } : {}),
  };
}

/**
 * `lel sweep [spec.yaml]`: expand the grid, write `<runs>/<name>/sweep.json`, then train every run not finished yet —
 * here with a pool of processes, or, with `--queue redis://…`, on the workers of a BullMQ queue — and gather the
 * results into `<runs>/<name>/report.{md,json,html}`.
 */
export async function sweepCommand(specFile: string | undefined, options: SweepCommandOptions = {}): Promise<SweepCommandResult> {
  const log = options.log ?? ((l: string) => process.stderr.write(l + '\n'));
  const loaded = loadSweepSpec(specFile, options);
  const plan = planSweep(loaded);
  const runsDir = options.runsDir ?? loaded.spec.runsDir ?? 'runs';
  const sweepDir = path.join(runsDir, plan.name);
  const statuses = plan.runs.map((r) => runStatus(path.join(runsDir, ...r.dir.split('/'))).status);
  const finished = statuses.filter((s) => s === 'done').length;
  const shared = plan.cells.length - plan.runs.length;
  log(
    `[sweep ${plan.name}] ${plan.arms.length} arm(s) × ${plan.cells.length / plan.arms.length / plan.seeds.length} point(s) × ${plan.seeds.length} seed(s) = ${plan.cells.length} cells → ${plan.runs.length} runs${shared > 0 ? ` (${shared} cells share a run)` : ''}; ${finished} finished before; folder ${sweepDir}`,
  );
  if (options.dryRun) {
    plan.runs.forEach((r, i) => log(`  ${statuses[i]!.padEnd(8)} ${runLabel(r)}  lel train ${r.recipe} ${r.sets.map((s) => `--set ${s}`).join(' ')}`));
    return { plan, sweepDir };
  }
  writeManifest(plan, runsDir);
  let outcome: SweepOutcome;
  if (options.queue) {
    const target: QueueTarget = { url: parseQueueUrl(options.queue), name: options.queueName ?? DEFAULT_QUEUE_NAME };
    await checkRedis(target.url);
    const sub = await submitSweep(plan, target, { runsDir, ...(options.backend ? { backend: options.backend } : {}) });
    log(`[sweep ${plan.name}] queue "${target.name}" at ${redactUrl(target.url)}: ${sub.enqueued} enqueued, ${sub.retried} failed before and queued again, ${sub.queued} already queued, ${sub.skipped} finished`);
    if (sub.workers === 0) log(`[sweep ${plan.name}] no worker is connected to the queue yet: start \`lel worker --queue ${redactUrl(target.url)} --runs-dir <shared runs folder>\` on the machines that should train`);
    if (options.detach) {
      log(`[sweep ${plan.name}] start workers with \`lel worker --queue ${redactUrl(target.url)} --runs-dir <shared runs folder>\`; follow with \`lel sweep status ${sweepDir} --queue …\`; gather with \`lel sweep report ${sweepDir}\``);
      return { plan, sweepDir };
    }
    outcome = await waitForSweep(plan, target, { ...(options.progress ? { progress: options.progress } : {}) });
  } else {
    outcome = await runLocalSweep(plan, { runsDir, ...(options.workers ? { workers: options.workers } : {}), ...(options.backend ? { backend: options.backend } : {}), ...(options.progress ? { progress: options.progress } : {}) });
  }
  const result: SweepCommandResult = { plan, sweepDir, outcome };
  if (fs.existsSync(path.join(sweepDir, SWEEP_MANIFEST))) {
    const { cells } = gatherSweep(sweepDir);
    result.report = buildSweepReport(cells, reportOptionsOf(plan));
    const files = writeSweepReport(result.report, sweepDir);
    log(`[sweep ${plan.name}] ${outcome.done.length} done, ${outcome.failed.length} failed${outcome.interrupted ? ', stopped before the end (run the same command again to continue)' : ''}; report: ${files.markdown}, ${path.basename(files.json)}, ${path.basename(files.html)}`);
  }
  return result;
}

/** `lel sweep status <sweep folder | spec>`: the grid with every cell's state. */
export async function sweepStatusCommand(target: string, options: { runsDir?: string; queue?: string; queueName?: string } = {}): Promise<string> {
  const sweepDir = sweepDirOf(target, options.runsDir);
  const queue = options.queue ? { url: parseQueueUrl(options.queue), name: options.queueName ?? DEFAULT_QUEUE_NAME } : undefined;
  if (queue) await checkRedis(queue.url);
  return formatStatus(await sweepStatus(sweepDir, queue), sweepDir);
}

/** A sweep folder from a folder or a spec file (`<runs>/<name>`). */
export function sweepDirOf(target: string, runsDir?: string): string {
  if (fs.existsSync(target) && fs.statSync(target).isDirectory()) {
    readManifest(target); // a clear error when it is not a sweep folder
    return target;
  }
  const loaded = loadSweepSpec(target);
  return path.join(runsDir ?? loaded.spec.runsDir ?? 'runs', loaded.name);
}

/** Options of {@link sweepReportCommand}. */
export interface SweepReportOptions extends Omit<ReportOptions, 'arms' | 'axes'> {
  out?: string;
  runsDir?: string;
}

/**
 * `lel sweep report <sweep folder | spec | run folders…>`: gather every finished run into one table (+ JSON, HTML).
 * From a sweep, the grid and the spec's `report` settings; from plain run folders (`lel train` output), each run is
 * the arm named after its recipe, paired by its `seed`.
 */
export function sweepReportCommand(targets: string[], options: SweepReportOptions = {}): { report: SweepReport; files: ReturnType<typeof writeSweepReport> } {
  if (targets.length === 0) throw new Error('lel sweep report: give a sweep folder, a spec file, or run folders');
  const flags: ReportOptions = {
    ...(options.title ? { title: options.title } : {}),
    ...(options.baseline ? { baseline: options.baseline } : {}),
    ...(options.compare ? { compare: options.compare } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
    ...(options.confidence ? { confidence: options.confidence } : {}),
  };
  const one = targets.length === 1 ? targets[0]! : undefined;
  const isSweep = one !== undefined && (fs.existsSync(path.join(one, SWEEP_MANIFEST)) || (fs.existsSync(one) && fs.statSync(one).isFile()));
  let report: SweepReport;
  let out: string;
  if (isSweep) {
    const sweepDir = sweepDirOf(one!, options.runsDir);
    const { manifest, cells } = gatherSweep(sweepDir);
    report = buildSweepReport(cells, { ...reportOptionsOf(manifest), ...flags });
    out = options.out ?? sweepDir;
  } else {
    report = buildSweepReport(gatherRunDirs(targets), { title: 'LEL runs', ...flags });
    out = options.out ?? 'sweep-report';
  }
  return { report, files: writeSweepReport(report, out) };
}
