import * as fs from 'node:fs';
import * as path from 'node:path';
import { curves, pngDataUrl, REPORT_CSS } from '../report';
import { esc, lineChart, type Series } from '../report/svg';
import type { LoadedRun } from './collect';
import { intervalText, pct, signed } from './format';
import { NOT_RECORDED } from './provenance';
import { peftOverviewMarkdown, textSettingMarkdown } from './text/text-tables';
import type { ComparisonStats, SettingResult } from './types';

/** Facts printed above the tables: when, where, how many seeds, which command. */
export interface EffectsFacts {
  date: string;
  machine: string;
  backend: string;
  seeds: number[];
  command: string;
  quick: boolean;
  /** Total wall-clock seconds of the runs trained by this invocation (0 when every run was reused). */
  trainedSeconds: number;
  /** The vision runs' folder (relative to the repository when inside it). */
  runs: string;
  /** Hand-written status shown under the introduction (`<docs>/effects-notes.md`: what ran, what did not, why). */
  notes?: string;
}


/** One comparison as a markdown row: mean paired difference, its 95% interval, wins, verdict, the paper's effect. */
function comparisonRow(r: SettingResult, c: ComparisonStats): string {
  const label = (id: string) => r.arms.find((a) => a.id === id)?.label ?? id;
  const ci = intervalText(c, '—');
  return `| ${label(c.method)} − ${label(c.baseline)} | ${signed(c.meanDifference)} | ${ci} | ${c.wins}/${c.seeds.length} | ${c.verdict} | ${c.paper} |`;
}

/** The markdown of one setting: arms, paired comparisons, headroom verdict. */
export function settingMarkdown(r: SettingResult): string {
  const lines: string[] = [];
  lines.push(`### ${r.title} (\`${r.package}\`)`, '', r.task, '');
  lines.push(`| arm | role | ${r.metricLabel} (%) mean ± sd | per seed (${r.seeds.join(', ')}) | s / run |`, '|---|---|---:|---|---:|');
  for (const a of r.arms) {
    const secs = r.seconds[a.id];
    const bySeed = new Map(a.seeds.map((s, i) => [s, a.values[i]!]));
    // Seeds still missing (a partial grid) show as "—" and the mean says over how many it is.
    const n = a.seeds.length < r.seeds.length ? ` (${a.seeds.length} of ${r.seeds.length} seeds)` : '';
    lines.push(`| ${a.label} | ${a.role} | ${pct(a.mean)} ± ${pct(a.std)}${n} | ${r.seeds.map((s) => (bySeed.has(s) ? pct(bySeed.get(s)!) : '—')).join(' / ')} | ${secs === undefined || !Number.isFinite(secs) ? '—' : secs.toFixed(0)} |`);
  }
  lines.push('');
  if (r.comparisons.length > 0) {
    lines.push('| paired difference (points) | mean | 95% t-interval | wins | verdict | paper |', '|---|---:|---|---:|---|---|');
    for (const c of r.comparisons) lines.push(comparisonRow(r, c));
    lines.push('');
  }
  if (r.headroom) {
    const h = r.headroom;
    lines.push(
      `Headroom: ceiling − baseline = ${signed(h.margin)} points (chance ${pct(h.chance)}, required ${pct(h.required)}): ` +
        (h.counts ? '**the setting counts**.' : '**the setting does not count** (the ceiling is not clearly above the few-label baseline).'),
      '',
    );
  } else if (!r.arms.some((a) => a.role === 'ceiling')) {
    // An unsupervised setting has no labels to add, hence no ceiling: its comparisons stand on their intervals alone.
    lines.push('Headroom: no ceiling row (no labels are used; see the notes), so the headroom rule does not apply.', '');
  } else lines.push('Headroom: the baseline or the ceiling has no finished run yet, so **no claim**.', '');
  const versions = codeVersionsLine(r);
  if (versions) lines.push(versions, '');
  if (r.notes) lines.push(r.notes, '');
  return lines.join('\n');
}

/**
 * One line naming the code versions behind a setting's runs when they are more than one or include runs that recorded
 * none: finished runs are reused whatever code trained them, so a mix must be visible. Null when every run came from
 * one recorded version.
 */
export function codeVersionsLine(r: SettingResult): string | null {
  const groups = r.codeVersions ?? [];
  if (groups.length === 0 || (groups.length === 1 && !groups[0]!.version.includes(NOT_RECORDED))) return null;
  const arm = (a: { id: string; seeds: number[] }) => {
    const stats = r.arms.find((x) => x.id === a.id);
    const all = stats !== undefined && a.seeds.length === stats.seeds.length;
    return `${stats?.label ?? a.id}${all ? '' : `: seed${a.seeds.length === 1 ? '' : 's'} ${a.seeds.join(', ')}`}`;
  };
  // Arm labels may hold commas ("supervised, all labels"): arms are separated by " · ".
  const list = groups.map((g) => `${g.version} (arms ${g.arms.map(arm).join(' · ')})`).join('; ');
  return (
    `Runs from ${groups.length} code version${groups.length === 1 ? '' : 's'}: ${list}. Finished runs are reused whatever code trained them; ` +
    `"${NOT_RECORDED}" runs were trained before runs recorded their commit, and effects.json has each run's provenance.`
  );
}

const seedCount = (n: number) => `${n} seed${n === 1 ? '' : 's'}`;

/** The number of seeds an arm has as a suffix when it has fewer than the setting asked for (a partial grid). */
function partial(r: SettingResult, a: { seeds: number[] } | undefined): string {
  return a && a.seeds.length < r.seeds.length ? ` (${a.seeds.length} of ${r.seeds.length} seeds)` : '';
}

/** One summary row per setting: baseline, methods, ceiling, whether it counts, each paired difference with its interval. */
function summaryRow(r: SettingResult): string {
  const base = r.arms.find((a) => a.role === 'baseline');
  const ceil = r.arms.find((a) => a.role === 'ceiling');
  const methods = r.arms.filter((a) => a.role === 'method').map((a) => `${a.label} ${pct(a.mean)}${partial(r, a)}`).join('; ');
  const label = (id: string) => r.arms.find((a) => a.id === id)?.label ?? id;
  const eff = r.comparisons
    .map((c) => {
      const name = c.baseline === base?.id ? label(c.method) : `${label(c.method)} − ${label(c.baseline)}`;
      if (c.seeds.length === 0) return `${name}: not run yet`;
      const ci = intervalText(c, '');
      return `${name}: ${signed(c.meanDifference)}${ci && ` ${ci}`} (${c.verdict}, ${seedCount(c.seeds.length)})`;
    })
    .join('; ');
  return `| ${r.title} | ${r.metricLabel} | ${base ? pct(base.mean) + partial(r, base) : '—'} | ${methods || '—'} | ${ceil ? pct(ceil.mean) + partial(r, ceil) : '—'} | ${r.headroom ? (r.headroom.counts ? 'yes' : 'no') : '—'} | ${eff || '—'} |`;
}

/**
 * The whole markdown document: the vision settings trained by `lel effects` and the text settings read from their
 * committed result stores, a summary table first, then one section per setting.
 */
export function effectsMarkdown(results: readonly SettingResult[], text: readonly SettingResult[], facts: EffectsFacts): string {
  const head = [
    '# Effects: methods vs their baselines, with headroom',
    '',
    `Generated by \`${facts.command}\` on ${facts.date} (${facts.machine}, ${facts.backend} backend${facts.quick ? ', **--quick: smoke-test budgets, not results**' : ''}). ` +
      'Method and baseline share each seed\'s labelled split, data and initialisation, so differences are paired by seed. Every setting has three ' +
      'rows: the baseline with few labels, the method with few labels, and the baseline with all labels (the ceiling); a setting counts only when ' +
      'the ceiling is clearly above the few-label baseline (by at least 1.5 × the baseline\'s gap to chance or 15 points, whichever is smaller, and ' +
      'never less than 5). Scores are on the reported (test) split; checkpoints and hyper-parameters were chosen on a separate dev split (effects-dev.md: the dev sweeps, `lel effects --dev`). ' +
      'Intervals are 95% Student-t intervals of the mean paired difference ("too few seeds" below 2 paired seeds). An arm with fewer seeds than ' +
      'asked says so ("3 of 5 seeds"); a comparison pairs only the seeds both arms have. effects.html beside this file has the curves and sample ' +
      'predictions; effects.json every value per seed.',
    '',
    ...(facts.notes ? [facts.notes.trim(), ''] : []),
    '| setting | metric | baseline | method(s) | ceiling | counts | effect (mean paired difference, 95% interval) |',
    '|---|---|---:|---|---:|---|---|',
    ...[...results, ...text].map(summaryRow),
    '',
  ];
  const vision =
    results.length > 0
      ? [
          '## Vision (#19)',
          '',
          `Seeds asked: ${facts.seeds.join(', ')}. Trained by \`lel effects\` through the app's recipes (\`lel train <recipe> --set …\`, one run folder per arm and seed under ` +
            `\`${facts.runs}\`, each with its effects-run.json: recipe, overrides and the code version that trained it), resumable: the same command continues an interrupted grid and reuses finished runs.`,
          '',
          ...results.map(settingMarkdown),
        ]
      : [];
  const texts =
    text.length > 0
      ? [
          '## Text (#20)',
          '',
          'Read from the committed result stores (docs/text-effects-runs/*.jsonl) written by the text runner ' +
            '(`apps/lel/src/effects/text/run-grid.ts`, see its README); `lel effects` does not train them. Encoder `bert-l4-h256-lel`, ' +
            'UCI sentiment sentences, N labels per class; test accuracy.',
          '',
          peftOverviewMarkdown(text),
          ...text.map(textSettingMarkdown),
        ]
      : [];
  return [...head, ...vision, ...texts].join('\n');
}

/** Mean curve over seeds of one metric (points at the steps every run logged). */
export function meanCurve(runs: readonly LoadedRun[], type: 'train' | 'eval', metric: string): [number, number][] {
  const per = runs.map((r) => new Map(curves(r.records, type).get(metric) ?? []));
  if (per.length === 0 || per.some((m) => m.size === 0)) return [];
  const steps = [...per[0]!.keys()].filter((s) => per.every((m) => m.has(s)));
  return steps.map((s) => [s, per.reduce((a, m) => a + m.get(s)!, 0) / per.length]);
}

function settingHtml(r: SettingResult, runs: Map<string, LoadedRun[]>, markdownHtml: string): string {
  const trained = r.arms.filter((a) => runs.has(a.id));
  const evalSeries: Series[] = trained.map((a) => ({ name: a.label, points: meanCurve(runs.get(a.id)!, 'eval', r.metric) }));
  const lossSeries: Series[] = trained.map((a) => {
    const rs = runs.get(a.id)!;
    const c = meanCurve(rs, 'train', 'total');
    return { name: a.label, points: c.length > 0 ? c : meanCurve(rs, 'train', 'loss') };
  });
  const charts = [
    lineChart({ title: `Dev ${r.metricLabel} during training (mean over seeds)`, xLabel: 'step', yLabel: r.metricLabel, series: evalSeries }),
    lineChart({ title: 'Training loss (mean over seeds)', xLabel: 'step', yLabel: 'total loss', series: lossSeries }),
  ].filter(Boolean);
  const samples = trained
    .map((a) => {
      const run = runs.get(a.id)![0];
      const files = (run?.summary.samples ?? []).filter((p) => fs.existsSync(path.join(run!.dir, p))).slice(0, 3);
      if (!run || files.length === 0) return '';
      return `<figure><figcaption>${esc(a.label)} (seed ${a.seeds[0]})</figcaption>${files.map((p) => `<img class="sample" alt="${esc(p)}" src="${pngDataUrl(path.join(run.dir, p))}"/>`).join('')}</figure>`;
    })
    .filter(Boolean)
    .join('');
  return `<section class="run" id="${esc(r.id)}">${markdownHtml}<div class="charts">${charts.join('')}</div>${samples ? `<h3>Predictions on test scenes (image · ground truth · prediction)</h3><div class="samples">${samples}</div>` : ''}</section>`;
}

/** Tiny markdown-to-HTML for the tables and paragraphs this module writes (no library needed for that subset). */
export function markdownToHtml(md: string): string {
  const out: string[] = [];
  const inline = (s: string) => esc(s).replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>').replace(/`([^`]+)`/g, '<code>$1</code>');
  const blocks = md.split(/\n\s*\n/);
  for (const b of blocks) {
    const lines = b.split('\n').filter((l) => l.trim() !== '');
    if (lines.length === 0) continue;
    if (lines[0]!.startsWith('#')) {
      const level = lines[0]!.match(/^#+/)![0].length;
      out.push(`<h${level}>${inline(lines[0]!.replace(/^#+\s*/, ''))}</h${level}>`);
      if (lines.length > 1) out.push(`<p>${inline(lines.slice(1).join(' '))}</p>`);
    } else if (lines[0]!.startsWith('|')) {
      const cells = (l: string) => l.replace(/^\||\|$/g, '').split('|').map((c) => c.trim());
      const [head, , ...rows] = lines;
      out.push(`<table><tr>${cells(head!).map((c) => `<th>${inline(c)}</th>`).join('')}</tr>${rows.map((row) => `<tr>${cells(row).map((c) => `<td>${inline(c)}</td>`).join('')}</tr>`).join('')}</table>`);
    } else out.push(`<p>${inline(lines.join(' '))}</p>`);
  }
  return out.join('\n');
}

/** The self-contained HTML report: the markdown's tables plus mean curves per arm and sample predictions. */
export function effectsHtml(results: readonly SettingResult[], text: readonly SettingResult[], runs: Map<string, Map<string, LoadedRun[]>>, facts: EffectsFacts): string {
  const md = effectsMarkdown(results, text, facts);
  const intro = md.split('\n## ')[0]!;
  const vision = results.length > 0 ? `<h2>Vision (#19)</h2>${results.map((r) => settingHtml(r, runs.get(r.id) ?? new Map(), markdownToHtml(settingMarkdown(r)))).join('\n')}` : '';
  // The text settings have no curves here (their runner keeps results, not metric logs): tables only.
  const textHtml = text.length > 0 ? `<h2>Text (#20)</h2>${text.map((r) => `<section class="run" id="${esc(r.id)}">${markdownToHtml(textSettingMarkdown(r))}</section>`).join('\n')}` : '';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>LEL effects</title><style>${REPORT_CSS}</style></head>
<body>${markdownToHtml(intro)}
${vision}
${textHtml}
</body></html>
`;
}
