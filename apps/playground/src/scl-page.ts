// The SCL demo of the page: base glyphs shown, two workers (CE + spatial contrastive, and CE alone) trained on
// them, their losses and their 5-way episode accuracy on the novel glyphs drawn live, with one episode's support
// and queries (each query framed green when the arm classifies it right, red when wrong).
import { drawChart } from './chart';
import { drawScene } from './palette';
import type { PageBackend } from './protocol';
import type { SclArm, SclTrainRequest, SclWorkerMessage, ShownEpisode } from './scl-protocol';
import { glyphSets, type GlyphImages, type GlyphsMeta } from './shipped';

const ARMS: SclArm[] = ['scl', 'ce'];
const COLOUR: Record<SclArm, string> = { scl: '#e6194b', ce: '#0082c8' };
const LABEL: Record<SclArm, string> = { scl: 'CE + SC (SCL)', ce: 'CE only' };

/** What the SCL demo shows (on `window.playground.scl`, for the browser test). */
export interface SclState {
  base?: GlyphImages;
  novel?: GlyphImages;
  steps: Record<SclArm, [number, number][]>;
  evals: Record<SclArm, { step: number; epoch: number; accuracy: number; ci95: number }[]>;
  backends: Partial<Record<SclArm, string>>;
  done: Partial<Record<SclArm, { steps: number; weights: Uint8Array }>>;
  /** Episodes drawn (arm → its latest). */
  shown: Partial<Record<SclArm, ShownEpisode>>;
  errors: string[];
}

export const sclState: SclState = { steps: { scl: [], ce: [] }, evals: { scl: [], ce: [] }, backends: {}, done: {}, shown: {}, errors: [] };

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
let workers: Worker[] = [];

function glyphCanvas(set: GlyphImages, i: number, size = 42): HTMLCanvasElement {
  const c = Object.assign(document.createElement('canvas'), { width: set.width, height: set.height });
  c.style.width = c.style.height = `${size}px`;
  const per = set.height * set.width;
  drawScene(c, set.images.subarray(i * per, (i + 1) * per), set.height, set.width, 1);
  return c;
}

function renderBase(): void {
  const s = sclState.base!;
  const grid = $('scl-base');
  grid.replaceChildren();
  const per = s.n / s.classNames.length;
  s.classNames.forEach((name, k) => {
    const cell = document.createElement('figure');
    for (let j = 0; j < 3; j++) cell.append(glyphCanvas(s, k * per + j, 32));
    cell.append(Object.assign(document.createElement('figcaption'), { textContent: name }));
    grid.append(cell);
  });
  $('scl-novel-classes').textContent = sclState.novel!.classNames.join(' ');
}

function renderEpisode(arm: SclArm, ep: ShownEpisode): void {
  const novel = sclState.novel!;
  const box = $(`scl-episode-${arm}`);
  box.replaceChildren();
  const support = document.createElement('div');
  support.className = 'support';
  ep.support.forEach((i) => support.append(glyphCanvas(novel, i)));
  const queries = document.createElement('div');
  queries.className = 'queries';
  ep.query.forEach((i, q) => {
    const c = glyphCanvas(novel, i, 32);
    const right = ep.predicted[q] === ep.queryLabels[q];
    c.className = right ? 'right' : 'wrong';
    c.title = `true: ${ep.queryLabels[q]}, predicted: ${ep.predicted[q]}`;
    queries.append(c);
  });
  const correct = ep.predicted.filter((p, q) => p === ep.queryLabels[q]).length;
  box.append(Object.assign(document.createElement('h4'), { textContent: `${LABEL[arm]}: ${correct} / ${ep.query.length} queries right` }), support, queries);
  box.dataset.rendered = 'true';
}

function updateCharts(): void {
  drawChart($('scl-loss-chart') as HTMLCanvasElement, ARMS.map((a) => ({ label: `${LABEL[a]} loss`, colour: COLOUR[a], points: sclState.steps[a] })), { title: 'training loss (base glyphs)', fromZero: true });
  drawChart($('scl-acc-chart') as HTMLCanvasElement, ARMS.map((a) => ({ label: LABEL[a], colour: COLOUR[a], points: sclState.evals[a].map((e) => [e.step, e.accuracy] as [number, number]) })), { title: '5-way episode accuracy (novel glyphs)', fromZero: true });
}

function stop(reason: string): void {
  for (const w of workers) w.terminate();
  workers = [];
  ($('scl-train') as HTMLButtonElement).disabled = false;
  ($('scl-stop') as HTMLButtonElement).disabled = true;
  $('scl-status').textContent = reason;
}

function onMessage(m: SclWorkerMessage): void {
  switch (m.type) {
    case 'ready':
      sclState.backends[m.arm] = m.backend;
      $(`scl-${m.arm}-backend`).textContent = m.backend;
      break;
    case 'step':
      sclState.steps[m.arm].push([m.step, m.loss]);
      $(`scl-${m.arm}-step`).textContent = `${m.step}${m.totalSteps ? ` / ${m.totalSteps}` : ''}`;
      $(`scl-${m.arm}-loss`).textContent = m.loss.toFixed(4);
      updateCharts();
      break;
    case 'eval':
      sclState.evals[m.arm].push({ step: m.step, epoch: m.epoch, accuracy: m.accuracy, ci95: m.ci95 });
      $(`scl-${m.arm}-acc`).textContent = `${(100 * m.accuracy).toFixed(1)} ± ${(100 * m.ci95).toFixed(1)} % (${m.episodes} episodes)`;
      sclState.shown[m.arm] = m.shown;
      renderEpisode(m.arm, m.shown);
      updateCharts();
      break;
    case 'done':
      sclState.done[m.arm] = { steps: m.steps, weights: m.weights };
      if (ARMS.every((a) => sclState.done[a])) {
        const acc = (a: SclArm) => `${(100 * (sclState.evals[a].at(-1)?.accuracy ?? NaN)).toFixed(1)} %`;
        stop(`done: episode accuracy ${LABEL.scl} ${acc('scl')}, ${LABEL.ce} ${acc('ce')}`);
      }
      break;
    case 'error':
      sclState.errors.push(`${m.arm}: ${m.message}`);
      stop(`error (${m.arm}): ${m.message.split('\n')[0]}`);
      break;
  }
}

function start(): void {
  const backend = ($('backend') as HTMLSelectElement).value as PageBackend | 'auto';
  const epochs = Math.max(1, Math.min(100, Number(($('scl-epochs') as HTMLInputElement).value) || 8));
  const kShot = Number(($('scl-shots') as HTMLSelectElement).value) || 1;
  sclState.steps = { scl: [], ce: [] };
  sclState.evals = { scl: [], ce: [] };
  sclState.done = {};
  sclState.shown = {};
  for (const a of ARMS) $(`scl-episode-${a}`).replaceChildren();
  $('scl-status').textContent = `training on ${sclState.base!.classNames.length} base characters…`;
  workers = ARMS.map((arm) => {
    const w = new Worker(new URL('./scl-worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<SclWorkerMessage>) => onMessage(e.data);
    w.onerror = (e) => onMessage({ type: 'error', arm, message: e.message });
    const req: SclTrainRequest = { type: 'train', arm, backend, base: sclState.base!, novel: sclState.novel!, epochs, kShot, episodes: 60, seed: 0 };
    w.postMessage(req);
    return w;
  });
  ($('scl-train') as HTMLButtonElement).disabled = true;
  ($('scl-stop') as HTMLButtonElement).disabled = false;
}

/** Loads the shipped glyphs and wires the SCL demo's controls. */
export async function initScl(baseUrl: string): Promise<void> {
  const get = async (file: string) => {
    const res = await fetch(new URL(file, baseUrl).href);
    if (!res.ok) throw new Error(`${file}: HTTP ${res.status}`);
    return res;
  };
  const [meta, bytes] = await Promise.all([get('glyphs.json').then((r) => r.json() as Promise<GlyphsMeta>), get('glyphs.bin').then((r) => r.arrayBuffer())]);
  const { base, novel } = glyphSets(new Uint8Array(bytes), meta);
  sclState.base = base;
  sclState.novel = novel;
  renderBase();
  updateCharts();
  $('scl-train').addEventListener('click', start);
  $('scl-stop').addEventListener('click', () => stop('stopped'));
  ($('scl-train') as HTMLButtonElement).disabled = false;
  $('scl-status').textContent = 'ready: Train';
}
