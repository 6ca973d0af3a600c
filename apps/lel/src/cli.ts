import * as fs from 'node:fs';
import { Command, InvalidArgumentError, Option } from 'commander';
import { stringify as stringifyYaml } from 'yaml';
import { BACKEND_CHOICES, BENCH_SUITE_NAMES, LOGGERS, RECIPE_NAMES } from './cli-options';
import { listMethods } from './methods';
import { INTERRUPTED_EXIT_CODE } from './signals';
import { EXIT_WITH_PARENT_ENV, exitWithParent } from './sweep/parent-watch';
import { addSweepCommands, positiveInt } from './sweep/cli';
import { packageVersion } from './banner';

// Every command's module (tfjs, the method packages, the recipes) is imported when the command runs, not at start-up:
// `lel --help`, `lel status` and `lel worker` start without loading what they do not use.
type LoggerName = (typeof LOGGERS)[number];

const collect = (value: string, previous: string[]) => [...previous, value];
const collectLogger = (value: string, previous: unknown): LoggerName[] => {
  if (!(LOGGERS as readonly string[]).includes(value)) throw new InvalidArgumentError(`choose from ${LOGGERS.join(', ')}`);
  return [...((previous as LoggerName[] | undefined) ?? []), value as LoggerName];
};
const backendOption = () => new Option('--backend <name>', 'tfjs backend (default: fastest installed, or LEL_BACKEND)').choices([...BACKEND_CHOICES]);
const progressOption = () => new Option('--progress <mode>', 'progress output: a bar on a TTY, plain lines otherwise').choices(['auto', 'bar', 'lines', 'none']).default('auto');

/** The flags of `lel effects` as commander gives them. */
interface EffectsFlags {
  seeds?: string;
  methods?: string;
  quick?: boolean;
  out?: string;
  docs?: string;
  textRuns?: string;
  reportOnly?: boolean;
  dev?: boolean;
  backend?: string;
}

async function runEffects(o: EffectsFlags): Promise<void> {
  const { effectsCommand } = await import('./effects/command');
  const list = (s: string) => s.split(',').map((x) => x.trim()).filter(Boolean);
  const r = await effectsCommand({
    ...(o.seeds ? { seeds: list(o.seeds).map(Number) } : {}),
    ...(o.methods ? { methods: list(o.methods) } : {}),
    quick: o.quick ?? false,
    ...(o.out ? { out: o.out } : {}),
    ...(o.docs ? { docs: o.docs } : {}),
    ...(o.textRuns ? { textRuns: o.textRuns } : {}),
    reportOnly: o.reportOnly ?? false,
    dev: o.dev ?? false,
    ...(o.backend ? { backend: o.backend } : {}),
    command: ['lel effects', ...process.argv.slice(process.argv.indexOf('effects') + 1)].join(' '),
  });
  process.stdout.write(r.markdown + '\n');
}

/** The `lel` command tree. */
export function buildProgram(): Command {
  const program = new Command();
  program
    .name('lel')
    .description('LEL reference app: train, evaluate, predict with, report on and benchmark every LEL method on the embedded data.')
    .version(packageVersion('lel'))
    .showHelpAfterError('(run with --help for usage)');

  program
    .command('train')
    .description('train a recipe; writes runs/<name>/{config.resolved.yaml, metrics.jsonl, checkpoints/, best/, summary.json, report.html}')
    .argument('<recipe>', `one of: ${RECIPE_NAMES.join(', ')}`)
    .option('-c, --config <file>', 'YAML config file (merged over the recipe defaults)')
    .option('-s, --set <key=value>', 'override one config key (dotted path, repeatable), e.g. --set train.maxSteps=20', collect, [])
    .addOption(backendOption())
    .option('--resume <ref>', '"last" (with --out), or a run / checkpoint folder, to continue from its checkpoint')
    .option('-o, --out <dir>', 'run folder (default runs/<recipe>-<time>)')
    .option('--allow-config-change', 'with --resume: continue although the config (--config / --set) differs from the checkpoint\'s')
    .addOption(progressOption())
    .option('--print-config', 'print the resolved config (recipe defaults ← --config ← --set) as YAML and exit without training')
    .addOption(new Option('--logger <name>', `metric logger besides metrics.jsonl, repeatable (${LOGGERS.join(', ')}): tensorboard writes <run>/tensorboard/events.out.tfevents.*`).argParser(collectLogger).default([]))
    .action(async (recipe: string, o: { config?: string; set: string[]; backend?: string; resume?: string; allowConfigChange?: boolean; out?: string; progress: 'auto'; printConfig?: boolean; logger: LoggerName[] }) => {
      const { trainCommand } = await import('./train');
      const r = await trainCommand(recipe, { ...o, loggers: o.logger });
      if (o.printConfig) process.stdout.write(stringifyYaml(r.config));
      else if (r.interrupted) process.exitCode = INTERRUPTED_EXIT_CODE;
      else process.stdout.write(`${r.runDir}\n`);
    });

  program
    .command('schema')
    .description('print the JSON Schema of a recipe\'s config file, for editors (e.g. lel schema cct > cct.schema.json)')
    .argument('<recipe>', `one of: ${RECIPE_NAMES.join(', ')}`)
    .action(async (recipe: string) => {
      const [{ recipeJsonSchema }, { getRecipe }] = await Promise.all([import('./config/json-schema'), import('./recipes')]);
      process.stdout.write(`${JSON.stringify(recipeJsonSchema(getRecipe(recipe)), null, 2)}\n`);
    });

  program
    .command('eval')
    .description("re-evaluate a run's best/ weights on its held-out data (writes <run>/eval.json)")
    .argument('<run>', 'run folder')
    .addOption(backendOption())
    .action(async (run: string, o: { backend?: string }) => {
      const { evalCommand } = await import('./eval');
      const r = await evalCommand(run, o);
      process.stdout.write(JSON.stringify(r.metrics, null, 2) + '\n');
    });

  program
    .command('predict')
    .description('predict with a run: segmentation masks as PNG, class probabilities as JSON')
    .argument('<run>', 'run folder')
    .argument('<inputs...>', 'image files (segmentation, image classifiers) or texts (text classifiers)')
    .option('-o, --out <dir>', 'output folder (default <run>/predictions)')
    .addOption(backendOption())
    .action(async (run: string, inputs: string[], o: { out?: string; backend?: string }) => {
      const { predictCommand } = await import('./predict');
      const r = await predictCommand(run, inputs, o);
      process.stdout.write(JSON.stringify(r.predictions, null, 2) + '\n');
      process.stderr.write(`[lel] predictions written to ${r.file}\n`);
    });

  program
    .command('report')
    .description('write a self-contained HTML report for one run (finished or still training), or a comparison across runs')
    .argument('<runs...>', 'run folders')
    .option('-o, --out <file>', 'output file (default <run>/report.html for one run, report.html for several)')
    .action(async (runs: string[], o: { out?: string }) => {
      const { writeRunReport } = await import('./report');
      const out = o.out ?? (runs.length === 1 ? `${runs[0]}/report.html` : 'report.html');
      process.stdout.write(`${writeRunReport(runs, out)}\n`);
    });

  program
    .command('bench')
    .description('method-vs-baseline study over seeds: a markdown table + JSON (the tables in the package READMEs)')
    .argument('<suite>', `one of: ${BENCH_SUITE_NAMES.join(', ')}, or effects (= lel effects, every effect table)`)
    .option('--seeds <list>', 'comma-separated seeds', '0,1,2')
    .option('-s, --set <key=value>', 'override a config key in every run (repeatable)', collect, [])
    .option('-o, --out <dir>', 'output folder (default runs/bench-<suite>)')
    .addOption(backendOption())
    .action(async (suite: string, o: { seeds: string; set: string[]; out?: string; backend?: string }, cmd: Command) => {
      if (suite === 'effects') {
        // `lel bench effects` = `lel effects` with bench's --seeds / --out / --backend (`lel effects --help` has the rest).
        if (o.set.length > 0) throw new InvalidArgumentError('lel bench effects: --set does not apply (every arm of every setting has its own config; see apps/lel/src/effects/settings.ts)');
        const seeds = cmd.getOptionValueSource('seeds') === 'default' ? undefined : o.seeds;
        await runEffects({ ...(seeds ? { seeds } : {}), ...(o.out ? { out: o.out } : {}), ...(o.backend ? { backend: o.backend } : {}) });
        return;
      }
      const { benchCommand } = await import('./bench');
      const r = await benchCommand(suite, { ...o, seeds: o.seeds.split(',').map((s) => Number(s.trim())) });
      process.stdout.write(r.markdown + '\n');
    });

  addSweepCommands(program);

  program
    .command('effects')
    .description('every effect table: methods vs their few-label baselines and all-label ceilings over paired seeds; writes docs/effects.{md,html,json}')
    .option('--seeds <list>', 'comma-separated seeds (default 0,1,2,3,4; 0,1 with --quick)')
    .option('--methods <list>', 'comma-separated method groups or setting ids (default all), e.g. cct,kd-1/16')
    .option('--quick', 'smoke-test budgets: every recipe, data path and table in a few minutes (writes into the run folder, never docs/)')
    .option('-o, --out <dir>', 'folder of the vision runs (default <repo>/runs/effects, or runs/effects-quick with --quick)')
    .option('--docs <dir>', 'where effects.md/.html/.json go (default <repo>/docs, or the run folder with --quick)')
    .option('--text-runs <dir>', 'result stores of the text runs (default <repo>/docs/text-effects-runs)')
    .option('--report-only', 'train nothing: rewrite the tables from the finished runs')
    .option('--dev', 'the dev sweeps that chose the settings\' hyper-parameters instead (seed 100, under <out>/dev); writes effects-dev.{md,json} and checks each setting uses its dev winner')
    .addOption(backendOption())
    .action(async (o: EffectsFlags) => {
      await runEffects(o);
    });

  program
    .command('demo')
    .description('seed 0 of the effect tables (CCT, KD, AR-seg) plus text and MIL stages, ≤ 6 minutes on 2 idle CPU cores: a summary table, each comparison beside its table, an HTML report')
    .option('-o, --out <dir>', 'output folder', 'runs/demo')
    .addOption(backendOption())
    .option('-w, --workers <n>', 'training processes at once (default 2: one per core of a 2-core machine)', positiveInt('--workers'))
    .option('--quick', 'tiny settings (a smoke test of the whole pipeline in a minute or two)')
    .action(async (o: { out: string; backend?: string; quick?: boolean; workers?: number }) => {
      const { demoCommand } = await import('./demo');
      await demoCommand(o);
    });

  program
    .command('recipes')
    .description('list the training recipes')
    .action(async () => {
      const { PENDING_RECIPES, RECIPES } = await import('./recipes');
      const w = Math.max(...RECIPES.map((r) => r.name.length));
      for (const r of RECIPES) process.stdout.write(`${r.name.padEnd(w)}  ${r.package.padEnd(24)} ${r.description}\n`);
      for (const p of PENDING_RECIPES) process.stdout.write(`${p.name.padEnd(w)}  ${p.package.padEnd(24)} (not available: ${p.reason})\n`);
    });

  program
    .command('methods')
    .description('list installed LEL method packages (package.json "lel" field)')
    .action(() => {
      for (const m of listMethods()) {
        const lel = m.lel ? ` ${JSON.stringify(m.lel)}` : '';
        process.stdout.write(`${m.package}@${m.version}  ${m.description}${lel}\n`);
      }
    });
  return program;
}

/** Run the CLI; errors print one clear message (no stack unless LEL_DEBUG is set) and exit 1. */
export async function main(argv = process.argv): Promise<void> {
  // `pnpm lel …` / `pnpm demo` run the script inside apps/lel; paths on the command line are the user's, so work
  // from the directory the command was typed in (pnpm's INIT_CWD).
  if (process.env.INIT_CWD && process.env.npm_lifecycle_event && fs.existsSync(process.env.INIT_CWD)) process.chdir(process.env.INIT_CWD);
  // A training process started by `lel sweep` / `lel worker` dies with it (its run then goes to another worker).
  if (process.env[EXIT_WITH_PARENT_ENV] === '1') exitWithParent();
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    const err = e as Error;
    process.stderr.write(`lel: ${process.env.LEL_DEBUG ? err.stack : err.message}\n`);
    process.exitCode = 1;
  }
}

const isEntry = process.argv[1] !== undefined && /cli\.[tj]s$/.test(process.argv[1]);
if (isEntry) await main();
