import * as path from 'node:path';
import { intervalText, pct, signed } from '../format';
import { headroom, meanStd, pairedComparison } from '../stats';
import type { ArmRole, ArmStats, ComparisonStats, SettingResult } from '../types';
import { LONG, PEFT_ARMS } from './peft-arms';
import { ResultStore, type JobResult } from './result-store';

/**
 * The text-effects tables (issue #20) from the runner's result stores (`run-grid.ts`): per setting the few-label
 * baseline, the method(s) and the all-label ceiling, paired by seed, as `lel effects`' {@link SettingResult}s so the
 * vision and text tables share one statistics module (`../stats`) and one JSON shape.
 */

/** Chance accuracy of the balanced two-class sentiment task. */
export const TEXT_CHANCE = 0.5;

const TASK =
  'UCI sentiment sentences (Amazon, IMDb, Yelp; npm `sentiment`), N labels per class from a 1,800-sentence pool, ' +
  'test 900 / dev 300; encoder `bert-l4-h256-lel` (4 × 256) with a linear head on the pooled [CLS]; batch 16, 48 tokens, ' +
  'AdamW without weight decay, 6% warm-up then linear decay, clip 1.0; learning rates chosen per arm on the dev split (seed 100).';

/** What each arm's paper reports, stated next to our difference (sources: `/work/shared/reference/nlp-methods.md`). */
export const TEXT_PAPERS: Record<string, string> = {
  bitfit: 'BitFit (Ben Zaken et al., ACL 2022): competitive with full FT on small data; T5-base GLUE 84.17 vs 85.65 (−1.5) with 0.12% of the parameters (KronA paper)',
  relbitfit: 'RelBitFit (#20): ≥ BitFit at N ≤ 1000 on BERT-large [claim to test]',
  'relbitfit-clip16': 'RelBitFit, clip 16: as RelBitFit',
  'relbitfit-pt-lr-clip': 'RelBitFit-PT-LR-Clip: as RelBitFit with fewer parameters',
  krona: 'KronA (Edalati et al. 2022): T5-base GLUE 86.14 vs 85.65 (+0.5) with 0.07%',
  'krona-b': 'KronA^B: T5-base GLUE 86.28 vs 85.65 (+0.6)',
  'krona-b-res': 'KronA^B_res: T5-base GLUE 86.57 vs 85.65 (+0.9)',
  lora: 'LoRA (Hu et al. 2021): T5-base GLUE 85.73 vs 85.65 (+0.1) with 0.07% (KronA paper)',
  vib: 'VIBERT (Mahabadi et al., ICLR 2021): better than fine-tuning on 7 low-resource sets (abstract; table numbers unverified)',
  swa: 'SWA for PLMs (Lu et al., Findings of EMNLP 2022): beats vanilla fine-tuning on classification (numbers unverified)',
  ema: 'EMA of the same run (no paper claim; SWA\'s usual companion)',
  kd: 'Vanilla KD, BERT-Small student (Jafari et al. 2022): GLUE test 74.09 vs fine-tune 74.24 (−0.2)',
  'annealing-kd': 'Annealing-KD (Jafari et al. 2021), BERT-Small student: GLUE test 74.78 vs fine-tune 74.24 (+0.5), vs KD 74.09 (+0.7)',
  'continuation-kd': 'Continuation-KD (Jafari et al. 2022), BERT-Small student: GLUE test 75.98 vs fine-tune 74.24 (+1.7), vs KD 74.09 (+1.9)',
};

/**
 * The PEFT table's comparisons between methods (besides each method − full FT): the papers' orderings, with the
 * paper's own difference (T5-base GLUE averages of the KronA paper's table; RelBitFit's claim from #20).
 */
export const PEFT_PAIRS: [string, string, string][] = [
  ['lora', 'bitfit', 'T5-base GLUE: LoRA 85.73 vs BitFit 84.17 (+1.6) (KronA paper)'],
  ['relbitfit', 'bitfit', 'RelBitFit ≥ BitFit at N ≤ 1000 on BERT-large (#20) [claim to test]'],
  ['relbitfit-clip16', 'bitfit', 'RelBitFit ≥ BitFit (#20); clipped distances, fewer parameters'],
  ['relbitfit-pt-lr-clip', 'bitfit', 'RelBitFit ≥ BitFit (#20); shared low-rank R, fewer parameters'],
  ['krona', 'lora', 'T5-base GLUE: KronA 86.14 vs LoRA 85.73 (+0.4)'],
  ['krona-b', 'krona', 'T5-base GLUE: KronA^B 86.28 vs KronA 86.14 (+0.1)'],
  ['krona-b-res', 'krona', 'T5-base GLUE: KronA^B_res 86.57 vs KronA 86.14 (+0.4)'],
];

interface ArmRows {
  id: string;
  label: string;
  role: ArmRole;
  /** seed → the finished job. */
  rows: Map<number, JobResult>;
  /** The table's metric of one job (test accuracy). */
  value: (r: JobResult) => number;
  /** Other numbers of one job, averaged over seeds into `extra` (losses, parameters, bytes, rates). */
  extra?: (r: JobResult) => Record<string, number>;
}

type Score = { accuracy: number; loss: number };
const score = (r: JobResult, k: string): Score => r[k] as Score;

/** Rows of `store` whose key matches `pattern` (its first group is the seed), by seed. */
export function rowsBySeed(store: ResultStore, pattern: RegExp): Map<number, JobResult> {
  const out = new Map<number, JobResult>();
  for (const r of store.all()) {
    const m = pattern.exec(r.key);
    if (m) out.set(Number(m[1]), r);
  }
  return new Map([...out.entries()].sort((a, b) => a[0] - b[0]));
}

function armStats(a: ArmRows): ArmStats {
  const seeds = [...a.rows.keys()];
  const values = seeds.map((s) => a.value(a.rows.get(s)!));
  const { mean, std } = meanStd(values);
  return { id: a.id, label: a.label, role: a.role, seeds, values, mean, std, runs: seeds.map((s) => a.rows.get(s)!.key) };
}

function meanOf(rows: Iterable<JobResult>, f: (r: JobResult) => Record<string, number>): Record<string, number> {
  const all = [...rows].map(f);
  const out: Record<string, number> = {};
  for (const k of Object.keys(all[0] ?? {})) out[k] = meanStd(all.map((x) => x[k]!)).mean;
  return out;
}

/** Builds one setting's result: arm statistics, paired comparisons of every method with the baseline, the headroom rule. */
export function textSetting(o: {
  id: string;
  method: string;
  package: string;
  title: string;
  notes?: string;
  arms: ArmRows[];
  /** Comparisons [method id, baseline id, paper]; the paper string defaults to {@link TEXT_PAPERS}' entry of the method. */
  compare: [string, string, string?][];
}): SettingResult {
  const arms = o.arms.filter((a) => a.rows.size > 0);
  const stats = arms.map(armStats);
  const byId = new Map(stats.map((s) => [s.id, s]));
  const comparisons: ComparisonStats[] = [];
  for (const [m, b, paper] of o.compare) {
    const ms = byId.get(m);
    const bs = byId.get(b);
    if (ms && bs) comparisons.push(pairedComparison(ms, bs, paper ?? TEXT_PAPERS[m] ?? ''));
  }
  const base = stats.find((s) => s.role === 'baseline');
  const ceil = stats.find((s) => s.role === 'ceiling');
  const extra: Record<string, Record<string, number>> = {};
  const seconds: Record<string, number> = {};
  for (const a of arms) {
    if (a.extra) extra[a.id] = meanOf(a.rows.values(), a.extra);
    seconds[a.id] = meanStd([...a.rows.values()].map((r) => Number(r.seconds ?? NaN))).mean;
  }
  return {
    id: o.id,
    method: o.method,
    package: o.package,
    title: o.title,
    task: TASK,
    metric: 'test_accuracy',
    metricLabel: 'test accuracy',
    ...(o.notes ? { notes: o.notes } : {}),
    seeds: [...new Set(stats.flatMap((s) => s.seeds))].sort((a, b) => a - b),
    arms: stats,
    comparisons,
    headroom: base && ceil ? headroom(TEXT_CHANCE, base.mean, ceil.mean) : null,
    extra,
    seconds,
  };
}

const testAcc = (r: JobResult) => score(r, 'test').accuracy;
const fitExtra = (r: JobResult) => ({
  lr: Number(r.lr),
  test_loss: score(r, 'test').loss,
  train_accuracy: score(r, 'train').accuracy,
  train_loss: score(r, 'train').loss,
  gap: score(r, 'test').loss - score(r, 'train').loss,
});
const peftExtra = (r: JobResult) => ({ ...fitExtra(r), trainable: Number(r.trainable), trainable_fraction: Number(r.trainable) / Number(r.all), adapter_bytes: Number(r.adapterBytes) });

/** Every text setting the stores under `out` have a baseline for (N = 16, 64, 256 where run). */
export function textSettings(out: string): SettingResult[] {
  const store = (name: string) => new ResultStore(path.join(out, `${name}.jsonl`));
  const peft = store('peft');
  const peftLong = store('peft-long');
  const vib = store('vib');
  const vibSweep = store('vib-sweep');
  const swa = store('swa');
  const kd = store('kd');
  const ceiling: ArmRows = { id: 'ceiling', label: 'full FT, all 1,800 labels (ceiling)', role: 'ceiling', rows: rowsBySeed(peft, /^peft\/ceiling\/all\/s(\d+)$/), value: testAcc, extra: peftExtra };
  const results: SettingResult[] = [];
  for (const n of [16, 64, 256]) {
    const full = (role: ArmRole, id = 'full'): ArmRows => ({ id, label: `full FT, N = ${n}`, role, rows: rowsBySeed(peft, new RegExp(`^peft/full/n${n}/s(\\d+)$`)), value: testAcc, extra: peftExtra });
    if (full('baseline').rows.size === 0) continue;
    const methods: ArmRows[] = PEFT_ARMS.slice(1).map((a) => ({ id: a.label, label: a.label, role: 'method', rows: rowsBySeed(peft, new RegExp(`^peft/${a.label}/n${n}/s(\\d+)$`)), value: testAcc, extra: peftExtra }));
    results.push(
      textSetting({
        id: `peft-n${n}`,
        method: 'peft',
        package: '@lel/peft',
        title: `PEFT vs full fine-tuning, N = ${n} per class`,
        arms: [full('baseline'), ...methods, ceiling],
        compare: [...methods.map((m): [string, string] => [m.id, 'full']), ...PEFT_PAIRS],
      }),
    );
    const longArms: ArmRows[] = LONG.arms.map((a) => ({ id: `${a}-long`, label: `${a === 'full' ? 'full FT' : a}, ${LONG.factor} × steps`, role: a === 'full' ? 'baseline' : 'method', rows: rowsBySeed(peftLong, new RegExp(`^peft-long/${a}/n${n}/s(\\d+)$`)), value: testAcc, extra: peftExtra }));
    if (longArms.some((a) => a.rows.size > 0)) {
      const short = (a: string): ArmRows => ({ id: a, label: `${a === 'full' ? 'full FT' : a}, table's steps`, role: 'reference', rows: rowsBySeed(peft, new RegExp(`^peft/${a}/n${n}/s(\\d+)$`)), value: testAcc, extra: peftExtra });
      const same = `same arm, rate and seeds with ${LONG.factor} × the steps (no paper claim: is the gap underfitting?)`;
      results.push(
        textSetting({
          id: `peft-long-n${n}`,
          method: 'peft',
          package: '@lel/peft',
          title: `PEFT vs full fine-tuning with ${LONG.factor} × the steps, N = ${n} per class (the underfitting check)`,
          notes:
            'The PEFT table trains every arm for the same epochs, and the bias-only and adapter arms end it far from fitting their labels. Here full FT, ' +
            `BitFit and LoRA train ${LONG.factor} × as many epochs (same subset, head initialisation, rate and schedule shape; the rates are the table's dev choices, ` +
            'not re-swept for the longer run), paired by seed with each other and with the table\'s own rows.',
          arms: [...longArms, ...LONG.arms.map(short), ceiling],
          compare: [
            ...LONG.arms.filter((a) => a !== 'full').map((a): [string, string, string] => [`${a}-long`, 'full-long', TEXT_PAPERS[a] ?? '']),
            ...LONG.arms.map((a): [string, string, string] => [`${a}-long`, a, same]),
          ],
        }),
      );
    }
    const vibRows = rowsBySeed(vib, new RegExp(`^vib/vib/n${n}/s(\\d+)$`));
    if (vibRows.size > 0) {
      const vibArm: ArmRows = { id: 'vib', label: `VIBERT head, N = ${n}`, role: 'method', rows: vibRows, value: testAcc, extra: fitExtra };
      results.push(
        textSetting({
          id: `vib-n${n}`,
          method: 'vib',
          package: '@lel/vib',
          title: `VIB (VIBERT) vs plain full fine-tuning, N = ${n} per class`,
          notes: [gapNote(full('baseline'), vibArm), vibSweepNote(vibSweep)].filter(Boolean).join('\n\n'),
          arms: [full('baseline'), vibArm, ceiling],
          compare: [['vib', 'full']],
        }),
      );
    }
    const swaRows = rowsBySeed(swa, new RegExp(`^swa/n${n}/s(\\d+)$`));
    if (swaRows.size > 0) {
      const part = (k: 'last' | 'swa' | 'ema') => (r: JobResult) => (r[k] as { test: Score }).test.accuracy;
      const partExtra = (k: 'last' | 'swa' | 'ema') => (r: JobResult) => {
        const p = r[k] as { test: Score; train: Score; models?: number };
        return { lr: Number(r.lr), test_loss: p.test.loss, train_accuracy: p.train.accuracy, gap: p.test.loss - p.train.loss, ...(p.models !== undefined ? { models: p.models } : {}) };
      };
      results.push(
        textSetting({
          id: `swa-n${n}`,
          method: 'swa',
          package: '@lel/swa',
          title: `SWA / EMA vs the last iterate (constant rate), N = ${n} per class`,
          notes: [
            'One run per seed at the full-FT arm\'s dev-chosen peak rate held constant; SWA averages every 2 steps and EMA (0.95) every step over the ' +
              'second half, so last iterate, SWA and EMA are paired by construction. The decayed-rate full FT of the PEFT table is shown for reference.',
            ...(['swa', 'ema'] as const).map((k) =>
              pairedLossNote(`Test cross-entropy, ${k.toUpperCase()} vs last iterate`, { label: k.toUpperCase(), rows: swaRows, f: (r) => (r[k] as { test: Score }).test.loss }, { label: 'last iterate', rows: swaRows, f: (r) => (r.last as { test: Score }).test.loss }),
            ),
          ].join('\n\n'),
          arms: [
            { id: 'last', label: 'last iterate (constant rate)', role: 'baseline', rows: swaRows, value: part('last'), extra: partExtra('last') },
            { id: 'swa', label: 'SWA (every 2 steps, 2nd half)', role: 'method', rows: swaRows, value: part('swa'), extra: partExtra('swa') },
            { id: 'ema', label: 'EMA 0.95 (2nd half)', role: 'method', rows: swaRows, value: part('ema'), extra: partExtra('ema') },
            full('reference', 'full-linear'),
            ceiling,
          ],
          compare: [
            ['swa', 'last'],
            ['ema', 'last'],
          ],
        }),
      );
    }
    const kdArms: ArmRows[] = ['kd', 'annealing-kd', 'continuation-kd'].map((m) => ({ id: m, label: m, role: 'method', rows: rowsBySeed(kd, new RegExp(`^kd/${m}/n${n}/s(\\d+)$`)), value: testAcc, extra: fitExtra }));
    if (kdArms.some((a) => a.rows.size > 0)) {
      // The paired baseline is the kd setting's own no-teacher run (same batches); without it, the PEFT table's full FT.
      const none: ArmRows = { id: 'none', label: `no KD (same batches), N = ${n}`, role: 'baseline', rows: rowsBySeed(kd, new RegExp(`^kd/none/n${n}/s(\\d+)$`)), value: testAcc, extra: fitExtra };
      const base = none.rows.size > 0 ? none : full('baseline');
      const teacher: ArmRows = { ...ceiling, id: 'teacher', label: 'teacher (ceiling, seed 0)', role: 'reference', rows: new Map([...ceiling.rows].filter(([s]) => s === 0)) };
      // The title names the students that ran; the notes name those that did not (a reduced grid says so).
      const names: Record<string, string> = { kd: 'KD', 'annealing-kd': 'Annealing-KD', 'continuation-kd': 'Continuation-KD' };
      const ran = kdArms.filter((a) => a.rows.size > 0).map((a) => names[a.id]!);
      const notRun = kdArms.filter((a) => a.rows.size === 0).map((a) => names[a.id]!);
      results.push(
        textSetting({
          id: `kd-n${n}`,
          method: 'kd',
          package: '@lel/distill',
          title: `${ran.join(' / ')} vs no KD, N = ${n} per class`,
          notes:
            'Teacher: the seed-0 all-label full FT (its logits on the pool cached); every step sees 4 labelled rows and 12 unlabelled rows of the rest of the pool (the transfer set). ' +
            (none.rows.size > 0 ? 'The no-KD baseline trains on the same batches with the labelled rows\' CE only.' : 'No same-batch no-KD run yet: the baseline is the PEFT table\'s full FT (same subset and head initialisation, other batches).') +
            (notRun.length > 0 ? ` Not run at this N: ${notRun.join(', ')}.` : ''),
          arms: [base, ...kdArms, teacher, ceiling],
          compare: [...kdArms.map((a): [string, string] => [a.id, base.id]), ['annealing-kd', 'kd'], ['continuation-kd', 'kd']],
        }),
      );
    }
  }
  return results;
}

/**
 * A paired comparison of a secondary number (a loss, a gap; lower is better) as one sentence: both means, the mean
 * paired difference `method − baseline` with its 95% t-interval, and whether the method lowers or raises it.
 */
export function pairedLossNote(what: string, method: { label: string; rows: Map<number, JobResult>; f: (r: JobResult) => number }, base: { label: string; rows: Map<number, JobResult>; f: (r: JobResult) => number }): string {
  const as = (a: typeof method, id: string) => {
    const seeds = [...a.rows.keys()];
    return { id, seeds, values: seeds.map((s) => a.f(a.rows.get(s)!)) };
  };
  const m = as(method, 'method');
  const b = as(base, 'baseline');
  const c = pairedComparison(m, b, '');
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(3) : '—');
  const word = c.verdict === 'better' ? `${method.label} raises it` : c.verdict === 'worse' ? `${method.label} lowers it` : c.verdict;
  return (
    `${what}: ${base.label} ${f(meanStd(b.values).mean)}, ${method.label} ${f(meanStd(m.values).mean)}; ` +
    `paired difference ${f(c.meanDifference)} [${f(c.interval[0])}, ${f(c.interval[1])}] over ${c.seeds.length} seeds (${word}).`
  );
}

/** The dev sweep of VIB's β as one sentence (empty without it). */
function vibSweepNote(sweep: ResultStore): string {
  const rows = sweep.all().filter((r) => r.key.startsWith('vib-sweep/'));
  if (rows.length === 0) return '';
  const cells = rows.map((r) => `β ${Number(r.beta).toExponential(0)}: ${pct((r.dev as Score).accuracy)}% (CE ${num((r.dev as Score).loss)})`);
  return `VIB's KL weight on the dev split (N = 16, seed 100, linear annealing): ${cells.join(', ')}; the rows use the best.`;
}

/** VIB's promise besides accuracy: the train–test cross-entropy gap, paired by seed (negative = VIB narrows it). */
function gapNote(full: ArmRows, vib: ArmRows): string {
  const gap = (r: JobResult) => score(r, 'test').loss - score(r, 'train').loss;
  return pairedLossNote('Train–test cross-entropy gap (test CE − train CE, eval mode)', { label: 'VIB', rows: vib.rows, f: gap }, { label: 'full FT', rows: full.rows, f: gap });
}

const num = (v: number | undefined, d = 3) => (v === undefined || !Number.isFinite(v) ? '—' : v.toPrecision(d));
function share(f: number | undefined): string {
  if (f === undefined || !Number.isFinite(f)) return '—';
  return `${f >= 0.1 ? (100 * f).toFixed(0) : (100 * f).toFixed(2)}%`;
}
function count(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '—';
  return v >= 1e6 ? `${(v / 1e6).toFixed(2)} M` : v >= 1e3 ? `${(v / 1e3).toFixed(1)} k` : String(Math.round(v));
}

/** One setting as markdown: arms (with parameters, bytes, rate, losses), paired differences, headroom, notes. */
export function textSettingMarkdown(r: SettingResult): string {
  const lines = [`### ${r.title} (\`${r.package}\`)`, ''];
  const peft = r.method === 'peft';
  lines.push(
    `| arm | role | test acc. (%) mean ± sd | per seed | lr | test CE | train acc. (%) | CE gap |${peft ? ' trainable | adapter bytes |' : ''} s / run |`,
    `|---|---|---:|---|---:|---:|---:|---:|${peft ? '---:|---:|' : ''}---:|`,
  );
  for (const a of r.arms) {
    const e = r.extra[a.id] ?? {};
    const seeds = a.seeds.map((s, i) => `s${s} ${pct(a.values[i]!)}`).join(', ');
    const peftCols = peft ? ` ${count(e.trainable)} (${share(e.trainable_fraction)}) | ${count(e.adapter_bytes)} |` : '';
    lines.push(`| ${a.label} | ${a.role} | ${pct(a.mean)} ± ${pct(a.std)} | ${seeds} | ${e.lr === undefined ? '—' : e.lr.toExponential(0)} | ${num(e.test_loss)} | ${pct(e.train_accuracy ?? NaN)} | ${num(e.gap)} |${peftCols} ${Math.round(r.seconds[a.id] ?? NaN)} |`);
  }
  lines.push('');
  if (r.comparisons.length > 0) {
    lines.push('| paired difference (points) | mean | 95% t-interval | wins | seeds | verdict | paper |', '|---|---:|---|---:|---:|---|---|');
    const label = (id: string) => r.arms.find((a) => a.id === id)?.label ?? id;
    for (const c of r.comparisons) {
      const ci = intervalText(c, '—');
      lines.push(`| ${label(c.method)} − ${label(c.baseline)} | ${signed(c.meanDifference)} | ${ci} | ${c.wins} | ${c.seeds.length} | ${c.verdict} | ${c.paper} |`);
    }
    lines.push('');
  }
  if (r.headroom) {
    const h = r.headroom;
    const ceilSeeds = r.arms.find((a) => a.role === 'ceiling')?.seeds.length ?? 0;
    lines.push(
      `Headroom: ceiling − baseline = ${signed(h.margin)} points (chance ${pct(h.chance)}, required ${pct(h.required)}, ceiling over ${ceilSeeds} seed${ceilSeeds === 1 ? '' : 's'}): ` +
        (h.counts ? '**the setting counts**.' : '**the setting does not count** (the ceiling is not clearly above the few-label baseline).'),
      '',
    );
  } else lines.push('Headroom: no ceiling run yet, so **no claim**.', '');
  if (r.notes) lines.push(r.notes, '');
  return lines.join('\n');
}

/**
 * The PEFT tables side by side: per arm its trainable parameters and adapter bytes, and per N its test accuracy with the
 * paired difference to full fine-tuning (95% interval) — accuracy against parameters at a glance. Empty without PEFT results.
 */
export function peftOverviewMarkdown(results: readonly SettingResult[]): string {
  const peft = results.filter((r) => /^peft-n\d+$/.test(r.id));
  if (peft.length === 0) return '';
  const n = (r: SettingResult) => r.id.replace(/^peft-n/, '');
  const arms = [...new Map(peft.flatMap((r) => r.arms.filter((a) => a.role !== 'ceiling').map((a) => [a.id, a] as const))).values()];
  const lines = [
    '### PEFT at a glance: test accuracy against trainable parameters',
    '',
    'Test accuracy (%, mean over the paired seeds) and, for the methods, the paired difference to full fine-tuning at the same N with its 95% interval; ' +
      '**bold** where the interval excludes 0. The setting of each N, with its ceiling and headroom verdict, follows below.',
    '',
    `| arm | trainable | adapter bytes |${peft.map((r) => ` N = ${n(r)} |`).join('')}`,
    `|---|---:|---:|${peft.map(() => '---|').join('')}`,
  ];
  for (const a of arms) {
    const e = peft.map((r) => r.extra[a.id]).find((x) => x !== undefined) ?? {};
    const cells = peft.map((r) => {
      const arm = r.arms.find((x) => x.id === a.id);
      if (!arm) return ' — |';
      const c = r.comparisons.find((x) => x.method === a.id && x.baseline === 'full');
      if (!c) return ` ${pct(arm.mean)} (${arm.seeds.length} seeds) |`;
      const ci = intervalText(c, '');
      const diff = `${signed(c.meanDifference)}${ci && ` ${ci}`}`;
      return ` ${pct(arm.mean)}, ${c.verdict === 'better' || c.verdict === 'worse' ? `**${diff}**` : diff} |`;
    });
    lines.push(`| ${a.id === 'full' ? 'full FT' : a.label} | ${count(e.trainable)} (${share(e.trainable_fraction)}) | ${count(e.adapter_bytes)} |${cells.join('')}`);
  }
  const heads = peft.map((r) => `N = ${n(r)}: ${r.headroom ? `${signed(r.headroom.margin)} points${r.headroom.counts ? '' : ', **no claim**'}` : 'no ceiling'}`);
  lines.push('', `Headroom (ceiling − full FT): ${heads.join('; ')}.`, '');
  return lines.join('\n');
}

/** Facts printed above the tables. */
export interface TextTableFacts {
  command: string;
  date: string;
  machine: string;
  backend: string;
  /** Free text under the header (budget cuts, what is missing). */
  preamble?: string;
}

/** The whole text-effects markdown document. */
export function textTablesMarkdown(results: readonly SettingResult[], facts: TextTableFacts): string {
  return [
    '# Text effects (#20): PEFT, VIB, SWA and KD on `bert-l4-h256-lel`',
    '',
    'These tables are also part of [effects.md](effects.md) (`pnpm effects`: every vision and text effect table in one document, read from the same result stores).',
    '',
    `Generated by \`${facts.command}\` on ${facts.date} (${facts.machine}, ${facts.backend} backend) from the runs' result stores.`,
    '',
    'Every setting has three rows: the baseline with few labels, the method with few labels and full fine-tuning with all labels ' +
      '(the ceiling; a setting counts only when the ceiling beats the baseline by at least 1.5 × its gap to chance or 15 points, whichever is ' +
      'smaller, and never less than 5). Method and baseline share each seed\'s labelled subset, head initialisation and data order, so ' +
      'differences are paired by seed; intervals are 95% Student-t intervals of the mean paired difference ("no clear difference" when the ' +
      'interval contains 0). Learning rates were chosen on the dev split, never on the test split reported here. ' +
      '"CE gap" is test cross-entropy − training cross-entropy of the final model (eval mode).',
    '',
    ...(facts.preamble ? [facts.preamble, ''] : []),
    peftOverviewMarkdown(results),
    ...results.map(textSettingMarkdown),
  ].join('\n');
}
