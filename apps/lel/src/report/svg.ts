/**
 * A small SVG chart renderer: line charts, bar charts (with error bars) and heatmaps, written as inline SVG so a
 * report is one self-contained file that renders offline, without scripts.
 */

/** Escape text for HTML/SVG. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

/** A colour-blind-friendly categorical palette (Okabe–Ito). */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#F0E442', '#000000'];

/** Compact number formatting for ticks and labels. */
export function fmt(v: number): string {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(1);
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  // Three significant digits, without trailing zeros (0.0025, 1.5, 12.3).
  return a >= 100 ? v.toFixed(0) : String(Number(v.toPrecision(3)));
}

/** "Nice" tick values covering [lo, hi]. */
export function ticks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? 10 * mag;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

/** One line of a {@link lineChart}. */
export interface Series {
  name: string;
  points: [number, number][];
}

const W = 560;
const H = 260;
const M = { l: 56, r: 12, t: 28, b: 40 };

function frame(title: string, xLabel: string, yLabel: string, body: string, legend: string, kind: string): string {
  return (
    `<svg class="chart" data-kind="${kind}" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${W} ${H}" width="${W}" height="${H}" role="img" aria-label="${esc(title)}">` +
    `<rect x="0" y="0" width="${W}" height="${H}" fill="#fff"/>` +
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="14" font-weight="600">${esc(title)}</text>` +
    `<text x="${(M.l + W - M.r) / 2}" y="${H - 6}" text-anchor="middle" font-size="11" fill="#444">${esc(xLabel)}</text>` +
    `<text x="12" y="${(M.t + H - M.b) / 2}" text-anchor="middle" font-size="11" fill="#444" transform="rotate(-90 12 ${(M.t + H - M.b) / 2})">${esc(yLabel)}</text>` +
    body +
    legend +
    `</svg>`
  );
}

/** A line chart of one or more series (NaN/Inf points are skipped); returns '' when there is nothing to draw. */
export function lineChart(options: { title: string; xLabel: string; yLabel: string; series: Series[]; logY?: boolean }): string {
  const series = options.series
    .map((s) => ({ ...s, points: s.points.filter(([x, y]) => Number.isFinite(x) && Number.isFinite(y) && (!options.logY || y > 0)) }))
    .filter((s) => s.points.length > 0);
  if (series.length === 0) return '';
  const tf = (y: number) => (options.logY ? Math.log10(y) : y);
  const xs = series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = series.flatMap((s) => s.points.map((p) => tf(p[1])));
  let [x0, x1] = [Math.min(...xs), Math.max(...xs)];
  let [y0, y1] = [Math.min(...ys), Math.max(...ys)];
  if (x1 === x0) [x0, x1] = [x0 - 1, x1 + 1];
  if (y1 === y0) [y0, y1] = [y0 - (Math.abs(y0) || 1) * 0.1, y1 + (Math.abs(y1) || 1) * 0.1];
  const pad = (y1 - y0) * 0.05;
  y0 -= pad;
  y1 += pad;
  const px = (x: number) => M.l + ((x - x0) / (x1 - x0)) * (W - M.l - M.r);
  const py = (y: number) => H - M.b - ((y - y0) / (y1 - y0)) * (H - M.t - M.b);
  let body = `<g class="axes" stroke="#999" stroke-width="1"><line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}"/><line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}"/></g>`;
  for (const t of ticks(x0, x1)) body += `<text x="${px(t).toFixed(1)}" y="${H - M.b + 14}" text-anchor="middle" font-size="10" fill="#555">${fmt(t)}</text>`;
  for (const t of ticks(y0, y1)) {
    body += `<line x1="${M.l}" x2="${W - M.r}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#eee"/>`;
    body += `<text x="${M.l - 4}" y="${(py(t) + 3).toFixed(1)}" text-anchor="end" font-size="10" fill="#555">${fmt(options.logY ? 10 ** t : t)}</text>`;
  }
  series.forEach((s, i) => {
    const colour = PALETTE[i % PALETTE.length]!;
    const d = s.points.map(([x, y], k) => `${k === 0 ? 'M' : 'L'}${px(x).toFixed(1)},${py(tf(y)).toFixed(1)}`).join('');
    body += `<path class="series" d="${d}" fill="none" stroke="${colour}" stroke-width="1.8"><title>${esc(s.name)}</title></path>`;
    if (s.points.length <= 40) {
      for (const [x, y] of s.points) body += `<circle class="point" cx="${px(x).toFixed(1)}" cy="${py(tf(y)).toFixed(1)}" r="2.5" fill="${colour}"><title>${esc(s.name)} @ ${fmt(x)}: ${fmt(y)}</title></circle>`;
    }
  });
  const legend = series
    .map((s, i) => `<g transform="translate(${M.l + 8 + (i % 4) * 128},${M.t + 4 + Math.floor(i / 4) * 14})"><rect width="10" height="10" fill="${PALETTE[i % PALETTE.length]}"/><text x="14" y="9" font-size="10">${esc(s.name.slice(0, 20))}</text></g>`)
    .join('');
  return frame(options.title, options.xLabel, options.yLabel, body, legend, 'line');
}

/** One bar of a {@link barChart}; `error` draws a ± error bar (e.g. a 95% CI half-width). */
export interface Bar {
  label: string;
  value: number;
  error?: number;
  colour?: string;
}

/** Ticks of a log10 axis (values are exponents): whole powers of ten, or halves when the range is short. */
function logTicks(lo: number, hi: number): number[] {
  const out: number[] = [];
  const step = hi - lo >= 2 ? 1 : 0.5;
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
  return out;
}

/** A vertical bar chart (optionally log-scaled, for parameter counts); '' when there is nothing to draw. */
export function barChart(options: { title: string; yLabel: string; bars: Bar[]; logY?: boolean; yMax?: number }): string {
  const bars = options.bars.filter((b) => Number.isFinite(b.value) && (!options.logY || b.value > 0));
  if (bars.length === 0) return '';
  const tf = (v: number) => (options.logY ? Math.log10(v) : v);
  const hiRaw = Math.max(...bars.map((b) => b.value + (b.error ?? 0)));
  const y0 = options.logY ? Math.floor(Math.min(...bars.map((b) => tf(b.value)))) : Math.min(0, ...bars.map((b) => b.value - (b.error ?? 0)));
  const y1 = options.yMax ?? (options.logY ? Math.ceil(tf(hiRaw) + 0.01) : hiRaw > 0 ? hiRaw * 1.08 : 1);
  const py = (v: number) => H - M.b - ((v - y0) / (y1 - y0 || 1)) * (H - M.t - M.b);
  const slot = (W - M.l - M.r) / bars.length;
  const bw = Math.max(4, Math.min(48, slot * 0.7));
  let body = `<g class="axes" stroke="#999"><line x1="${M.l}" y1="${H - M.b}" x2="${W - M.r}" y2="${H - M.b}"/><line x1="${M.l}" y1="${M.t}" x2="${M.l}" y2="${H - M.b}"/></g>`;
  for (const t of options.logY ? logTicks(y0, y1) : ticks(y0, y1)) {
    body += `<line x1="${M.l}" x2="${W - M.r}" y1="${py(t).toFixed(1)}" y2="${py(t).toFixed(1)}" stroke="#eee"/>`;
    body += `<text x="${M.l - 4}" y="${(py(t) + 3).toFixed(1)}" text-anchor="end" font-size="10" fill="#555">${fmt(options.logY ? Number((10 ** t).toPrecision(2)) : t)}</text>`;
  }
  bars.forEach((b, i) => {
    const cx = M.l + slot * (i + 0.5);
    const top = py(tf(b.value));
    const base = py(options.logY ? y0 : Math.max(0, y0));
    const colour = b.colour ?? PALETTE[i % PALETTE.length]!;
    body += `<rect class="bar" x="${(cx - bw / 2).toFixed(1)}" y="${Math.min(top, base).toFixed(1)}" width="${bw.toFixed(1)}" height="${Math.max(1, Math.abs(base - top)).toFixed(1)}" fill="${colour}"><title>${esc(b.label)}: ${fmt(b.value)}${b.error !== undefined ? ` ± ${fmt(b.error)}` : ''}</title></rect>`;
    if (b.error !== undefined && b.error > 0) {
      const e0 = py(tf(Math.max(b.value - b.error, options.logY ? 1e-12 : -Infinity)));
      const e1 = py(tf(b.value + b.error));
      body += `<path class="errorbar" d="M${cx},${e0.toFixed(1)}V${e1.toFixed(1)}M${cx - 5},${e0.toFixed(1)}H${cx + 5}M${cx - 5},${e1.toFixed(1)}H${cx + 5}" stroke="#222" stroke-width="1.2"/>`;
    }
    body += `<text x="${cx}" y="${(Math.min(top, base) - 3).toFixed(1)}" text-anchor="middle" font-size="9">${fmt(b.value)}</text>`;
    const label = b.label.length > 14 ? b.label.slice(0, 13) + '…' : b.label;
    body += `<text x="${cx}" y="${H - M.b + 13}" text-anchor="middle" font-size="10">${esc(label)}</text>`;
  });
  return frame(options.title, '', options.yLabel, body, '', 'bar');
}

/** A heatmap (confusion matrix): rows = ground truth, columns = prediction, each row normalised for colour. */
export function heatmap(options: { title: string; matrix: number[][]; labels: string[] }): string {
  const n = options.matrix.length;
  if (n === 0) return '';
  const cell = Math.max(12, Math.min(36, Math.floor(360 / n)));
  const left = 70;
  const top = 44;
  const w = Math.max(260, left + n * cell + 12);
  const h = top + n * cell + 30;
  let body = '';
  options.matrix.forEach((row, r) => {
    const total = row.reduce((a, b) => a + b, 0) || 1;
    row.forEach((v, c) => {
      const f = v / total;
      const shade = Math.round(255 - f * 200);
      body += `<rect class="cell" x="${left + c * cell}" y="${top + r * cell}" width="${cell}" height="${cell}" fill="rgb(${shade},${shade},255)" stroke="#fff"><title>true ${esc(options.labels[r] ?? String(r))} → predicted ${esc(options.labels[c] ?? String(c))}: ${v} (${(100 * f).toFixed(1)}%)</title></rect>`;
      if (cell >= 24) body += `<text x="${left + c * cell + cell / 2}" y="${top + r * cell + cell / 2 + 3}" text-anchor="middle" font-size="8" fill="${f > 0.5 ? '#fff' : '#222'}">${v >= 1000 ? (v / 1000).toFixed(0) + 'k' : v}</text>`;
    });
    body += `<text x="${left - 4}" y="${top + r * cell + cell / 2 + 3}" text-anchor="end" font-size="10">${esc(options.labels[r] ?? String(r))}</text>`;
  });
  options.labels.forEach((l, c) => {
    body += `<text x="${left + c * cell + cell / 2}" y="${top - 4}" text-anchor="middle" font-size="10">${esc(l.slice(0, 6))}</text>`;
  });
  return (
    `<svg class="chart" data-kind="heatmap" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${w} ${h}" width="${w}" height="${h}" role="img" aria-label="${esc(options.title)}">` +
    `<rect width="${w}" height="${h}" fill="#fff"/><text x="${w / 2}" y="16" text-anchor="middle" font-size="14" font-weight="600">${esc(options.title)}</text>` +
    `<text x="${left + (n * cell) / 2}" y="${h - 8}" text-anchor="middle" font-size="11" fill="#444">predicted class (rows: true class)</text>` +
    body +
    `</svg>`
  );
}
