import { Option, type Command } from 'commander';
import { BACKEND_CHOICES, DEFAULT_QUEUE_NAME, WORKER_DEFAULTS } from '../cli-options';
import { INTERRUPTED_EXIT_CODE } from '../signals';

// The commands' modules (BullMQ, Redis, the recipes) load when a command runs: `lel worker --help` starts fast.
const command = () => import('./command');
const reportModule = () => import('./report');

const collect = (value: string, previous: string[]) => [...previous, value];
/** A commander parser of a positive integer flag (the error names the flag). */
export const positiveInt = (flag: string) => (v: string) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) throw new Error(`${flag}: expected a positive integer, got ${JSON.stringify(v)}`);
  return n;
};

/** `lel sweep` (run / status / report) and `lel worker`. */
export function addSweepCommands(program: Command): void {
  const sweep = program.command('sweep').description('a grid of runs (arms × axes × seeds) from a spec: locally with a process pool, or on BullMQ workers with --queue; status; paired report');

  sweep
    .command('run', { isDefault: true })
    .description('expand the spec and train every run not finished yet (the default: `lel sweep spec.yaml`)')
    .argument('[spec]', 'sweep spec (YAML); flags alone work too (--recipe, --axis, --seeds)')
    .option('--recipe <name>', 'recipe of every arm that names none')
    .option('--name <name>', 'sweep name (default: the spec file name)')
    .option('-c, --config <file>', 'YAML config merged over the recipe defaults')
    .option('-s, --set <key=value>', 'override a config key in every run (repeatable)', collect, [])
    .option('--axis <key=[v1,v2]>', 'cross a config key over values (repeatable), e.g. --axis mil.lr=[1e-4,1e-3]', collect, [])
    .option('--seeds <list>', 'comma-separated seeds, e.g. 0,1,2,3,4')
    .option('--label-fractions <list>', 'comma-separated label fractions, e.g. 0.125,0.25')
    .option('--label-fraction-key <key>', 'config key of the label fraction (default data.labelled.fraction, the label budget of the data sources)')
    .option('--runs-dir <dir>', 'runs folder: the sweep writes <runs-dir>/<name>/<run id>/ (default runs, or the spec\'s runsDir)')
    .option('-w, --workers <n>', 'training processes at once, locally (default: one per core)', positiveInt('--workers'))
    .option('--queue <url>', 'enqueue on a BullMQ queue at this Redis (redis://host:6379) for `lel worker`s instead of training here')
    .option('--queue-name <name>', 'BullMQ queue name', DEFAULT_QUEUE_NAME)
    .option('--detach', 'with --queue: enqueue and exit without following the runs')
    .option('--dry-run', 'print the grid and the runs it needs; train nothing')
    .addOption(new Option('--backend <name>', 'tfjs backend of every run').choices([...BACKEND_CHOICES]))
    .addOption(new Option('--progress <mode>', 'progress output: a bar on a TTY, plain lines otherwise').choices(['auto', 'bar', 'lines', 'none']).default('auto'))
    .action(async (spec: string | undefined, o: Record<string, unknown>) => {
      const [{ sweepCommand }, { reportMarkdown }] = await Promise.all([command(), reportModule()]);
      const r = await sweepCommand(spec, o as Parameters<typeof sweepCommand>[1]);
      if (r.report) process.stdout.write(reportMarkdown(r.report));
      if (r.outcome?.interrupted) process.exitCode = INTERRUPTED_EXIT_CODE;
      else if (r.outcome && r.outcome.failed.length > 0) process.exitCode = 1;
    });

  sweep
    .command('status')
    .description('the grid: every cell with its run, state, step, headline metric or error')
    .argument('<sweep>', 'sweep folder (<runs>/<name>) or spec file')
    .option('--runs-dir <dir>', 'runs folder (with a spec file)')
    .option('--queue <url>', 'also ask the BullMQ queue (running, waiting, failed with its reason, attempts)')
    .option('--queue-name <name>', 'BullMQ queue name', DEFAULT_QUEUE_NAME)
    .action(async (target: string, o: { runsDir?: string; queue?: string; queueName?: string }) => {
      const { sweepStatusCommand } = await command();
      process.stdout.write(await sweepStatusCommand(target, o));
    });

  sweep
    .command('report')
    .description('gather every finished run into one table with paired intervals: report.md, report.json, report.html')
    .argument('<targets...>', 'a sweep folder or spec file, or run folders (plain `lel train` runs: arm = recipe, paired by seed)')
    .option('-o, --out <dir>', 'output folder (default: the sweep folder, or ./sweep-report)')
    .option('--runs-dir <dir>', 'runs folder (with a spec file)')
    .option('--baseline <arm>', 'compare every arm with this one (default: the spec\'s, or the first arm)')
    .option('--metric <name>', 'metric to tabulate (repeatable; the first is the headline)', collect, [])
    .option('--confidence <level>', 'confidence level of the intervals', Number)
    .action(async (targets: string[], o: { out?: string; runsDir?: string; baseline?: string; metric: string[]; confidence?: number }) => {
      const [{ sweepReportCommand }, { reportMarkdown }] = await Promise.all([command(), reportModule()]);
      const { report, files } = sweepReportCommand(targets, {
        ...(o.out ? { out: o.out } : {}),
        ...(o.runsDir ? { runsDir: o.runsDir } : {}),
        ...(o.baseline ? { baseline: o.baseline } : {}),
        ...(o.metric.length > 0 ? { metrics: o.metric } : {}),
        ...(o.confidence !== undefined ? { confidence: o.confidence } : {}),
      });
      process.stdout.write(reportMarkdown(report));
      process.stderr.write(`[sweep] wrote ${files.markdown}, ${files.json}, ${files.html}\n`);
    });

  program
    .command('worker')
    .description('take sweep runs from a BullMQ queue and train them (start one on every machine; runs folder on a shared file system)')
    .requiredOption('--queue <url>', 'Redis of the queue, e.g. redis://10.0.0.5:6379')
    .requiredOption('--runs-dir <dir>', "this machine's mount of the shared runs folder")
    .option('--queue-name <name>', 'BullMQ queue name', DEFAULT_QUEUE_NAME)
    .option('--concurrency <n>', 'runs trained at once by this worker', positiveInt('--concurrency'), WORKER_DEFAULTS.concurrency)
    .addOption(new Option('--backend <name>', 'tfjs backend (overrides the sweep\'s)').choices([...BACKEND_CHOICES]))
    .option('--lock-duration <ms>', "how long a run's lock lasts without renewal: a dead worker's runs move on after this", positiveInt('--lock-duration'), WORKER_DEFAULTS.lockDurationMs)
    .option('--stalled-interval <ms>', 'how often to look for runs whose worker died', positiveInt('--stalled-interval'), WORKER_DEFAULTS.stalledIntervalMs)
    .option('--max-stalled <n>', 'hand-overs after dead workers before a run is failed', positiveInt('--max-stalled'), WORKER_DEFAULTS.maxStalled)
    .option('--exit-when-idle <seconds>', 'stop once the queue has had nothing waiting or running for this long (batch jobs)', positiveInt('--exit-when-idle'))
    .action(async (o: { queue: string; runsDir: string; queueName: string; concurrency: number; backend?: string; lockDuration: number; stalledInterval: number; maxStalled: number; exitWhenIdle?: number }) => {
      const [{ runWorker }, { parseQueueUrl }] = await Promise.all([import('./worker'), import('./queue')]);
      await runWorker({
        url: parseQueueUrl(o.queue),
        name: o.queueName,
        runsDir: o.runsDir,
        concurrency: o.concurrency,
        lockDurationMs: o.lockDuration,
        stalledIntervalMs: o.stalledInterval,
        maxStalled: o.maxStalled,
        ...(o.exitWhenIdle !== undefined ? { exitWhenIdleSec: o.exitWhenIdle } : {}),
        ...(o.backend ? { backend: o.backend } : {}),
      });
    });
}
