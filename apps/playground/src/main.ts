// The playground page: three demos in tabs. CCT (this file): labelling (painted masks), two training workers (CCT
// and its baseline), live charts, predicted masks and the weights' download; SCL (scl-page.ts) and PEFT
// (peft-page.ts). State is kept on `window.playground` for the browser test.
import { Rng } from '@lel/core';
import { composeDigitScenes, type DigitScenes } from '@lel/datasets';
import { drawChart } from './chart';
import { initPeft, peftState, type PeftState } from './peft-page';
import { initScl, sclState, type SclState } from './scl-page';
import { registerOffline } from './offline';
import { digitPool } from './digits';
import { colourOf, drawMask, drawScene, IGNORE } from './palette';
import type { PageBackend, TrainRequest, WorkerMessage } from './protocol';
import { CLASSES, N_TRAIN, N_VAL, SCENES, SIZE, subset } from './scenes';

const SHOWN = 4;
type Arm = TrainRequest['arm'];
const ARMS: Arm[] = ['cct', 'baseline'];
const ARM_COLOUR: Record<Arm, string> = { cct: '#e6194b', baseline: '#0082c8' };

interface PlaygroundState {
  scenes?: DigitScenes;
  /** Painted label maps of the training scenes (index → H·W labels, 255 = unknown). */
  labels: Map<number, Int32Array>;
  steps: Record<Arm, [number, number][]>;
  evals: Record<Arm, { step: number; miou: number; pixelAccuracy: number }[]>;
  done: Partial<Record<Arm, { steps: number; stopReason: string; weights: Uint8Array; tensorNames: string[] }>>;
  backends: Partial<Record<Arm, string>>;
  /** The predicted label maps of the shown validation scenes at the latest evaluation. */
  lastMasks: Partial<Record<Arm, { scenes: number[]; masks: Int32Array[] }>>;
  errors: string[];
  /** The SCL and PEFT demos. */
  scl: SclState;
  peft: PeftState;
  /** The service worker's state: `registered` once it controls the page's cache, else why not. */
  offline?: string;
}
const state: PlaygroundState = { labels: new Map(), steps: { cct: [], baseline: [] }, evals: { cct: [], baseline: [] }, done: {}, backends: {}, lastMasks: {}, errors: [], scl: sclState, peft: peftState };
(window as unknown as { playground: PlaygroundState }).playground = state;

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
const status = (s: string) => ($('status').textContent = s);
let selected: number | undefined;
let brush = 1;
let workers: Worker[] = [];
/**
 * "Label 4 at random" draws from a seeded generator, not Math.random: a fresh page labels the same 4 scenes first
 * (then the next 4 on the next click), so a run is reproducible from its clicks (training is seeded too).
 */
const labelRng = new Rng('playground/label-random');

const per = SIZE * SIZE;
const imageOf = (s: DigitScenes, i: number) => s.images.subarray(i * per * s.channels, (i + 1) * per * s.channels);
const trueMaskOf = (s: DigitScenes, i: number) => s.masks.subarray(i * per, (i + 1) * per);

function isLabelled(i: number): boolean {
  const m = state.labels.get(i);
  return m !== undefined && m.some((v) => v !== IGNORE);
}

function renderGrid(): void {
  const s = state.scenes!;
  const grid = $('grid');
  grid.replaceChildren();
  for (let i = 0; i < N_TRAIN; i++) {
    const c = document.createElement('canvas');
    c.width = SIZE;
    c.height = SIZE;
    c.dataset.index = String(i);
    c.className = `${isLabelled(i) ? 'labelled' : ''} ${selected === i ? 'selected' : ''}`;
    c.title = `scene ${i}${isLabelled(i) ? ' (labelled)' : ''}`;
    drawScene(c, imageOf(s, i), SIZE, SIZE, s.channels, state.labels.get(i));
    c.addEventListener('click', () => select(i));
    grid.append(c);
  }
  const n = [...state.labels.keys()].filter(isLabelled).length;
  $('labelled-count').textContent = `${n} of ${N_TRAIN} labelled`;
  ($('train') as HTMLButtonElement).disabled = n === 0 || workers.length > 0;
}

function renderEditor(): void {
  if (selected === undefined) return;
  const s = state.scenes!;
  $('editor').hidden = false;
  drawScene($('editor-canvas') as HTMLCanvasElement, imageOf(s, selected), SIZE, SIZE, s.channels, state.labels.get(selected), 0.6);
}

function select(i: number): void {
  selected = i;
  if (!state.labels.has(i)) state.labels.set(i, new Int32Array(per).fill(IGNORE));
  renderGrid();
  renderEditor();
}

function paintAt(ev: PointerEvent): void {
  if (selected === undefined || !(ev.buttons & 1)) return;
  const canvas = ev.currentTarget as HTMLCanvasElement;
  const r = canvas.getBoundingClientRect();
  const x = Math.floor(((ev.clientX - r.left) / r.width) * SIZE);
  const y = Math.floor(((ev.clientY - r.top) / r.height) * SIZE);
  const rad = Number(($('brush-size') as HTMLInputElement).value) - 1;
  const m = state.labels.get(selected)!;
  for (let dy = -rad; dy <= rad; dy++) {
    for (let dx = -rad; dx <= rad; dx++) {
      const xx = x + dx;
      const yy = y + dy;
      if (xx >= 0 && yy >= 0 && xx < SIZE && yy < SIZE && dx * dx + dy * dy <= rad * rad + rad) m[yy * SIZE + xx] = brush;
    }
  }
  renderEditor();
}

function setupEditor(): void {
  const brushes = $('brushes');
  const names = ['background', ...Array.from({ length: CLASSES }, (_, k) => `digit ${k}`)];
  names.forEach((name, label) => {
    const b = document.createElement('button');
    b.textContent = name;
    b.style.borderLeft = `12px solid rgb(${colourOf(label).join(',')})`;
    b.className = label === brush ? 'active' : '';
    b.addEventListener('click', () => {
      brush = label;
      for (const el of brushes.children) el.classList.toggle('active', el === b);
    });
    brushes.append(b);
  });
  const canvas = $('editor-canvas');
  canvas.addEventListener('pointerdown', paintAt);
  canvas.addEventListener('pointermove', paintAt);
  canvas.addEventListener('pointerup', () => renderGrid());
  $('true-mask').addEventListener('click', () => {
    if (selected === undefined) return;
    state.labels.set(selected, Int32Array.from(trueMaskOf(state.scenes!, selected)));
    renderGrid();
    renderEditor();
  });
  $('clear-mask').addEventListener('click', () => {
    if (selected === undefined) return;
    state.labels.set(selected, new Int32Array(per).fill(IGNORE));
    renderGrid();
    renderEditor();
  });
  $('label-random').addEventListener('click', () => {
    const free = Array.from({ length: N_TRAIN }, (_, i) => i).filter((i) => !isLabelled(i));
    for (let k = 0; k < 4 && free.length > 0; k++) {
      const i = free.splice(labelRng.int(free.length), 1)[0]!;
      state.labels.set(i, Int32Array.from(trueMaskOf(state.scenes!, i)));
    }
    renderGrid();
  });
}

function updateCharts(): void {
  drawChart($('loss-chart') as HTMLCanvasElement, ARMS.map((a) => ({ label: a === 'cct' ? 'CCT loss' : 'baseline loss', colour: ARM_COLOUR[a], points: state.steps[a] })), { title: 'training loss', fromZero: true });
  drawChart($('miou-chart') as HTMLCanvasElement, ARMS.map((a) => ({ label: a === 'cct' ? 'CCT mIoU' : 'baseline mIoU', colour: ARM_COLOUR[a], points: state.evals[a].map((e) => [e.step, e.miou] as [number, number]) })), { title: 'validation mIoU (held-out scenes)', fromZero: true });
}

function showPredictions(arm: Arm, masks: Int32Array[], shown: number[]): void {
  const s = state.scenes!;
  const grid = $('predictions');
  if (grid.childElementCount === 0) {
    for (const h of ['truth', 'CCT', 'baseline']) grid.append(Object.assign(document.createElement('div'), { textContent: h }));
    shown.forEach((i) => {
      for (const kind of ['truth', 'cct', 'baseline']) {
        const c = Object.assign(document.createElement('canvas'), { width: SIZE, height: SIZE });
        c.dataset.kind = kind;
        c.dataset.scene = String(i);
        if (kind === 'truth') drawScene(c, imageOf(s, i), SIZE, SIZE, s.channels, trueMaskOf(s, i));
        grid.append(c);
      }
    });
  }
  masks.forEach((m, k) => {
    const c = grid.querySelector<HTMLCanvasElement>(`canvas[data-kind="${arm}"][data-scene="${shown[k]}"]`);
    if (c) {
      drawMask(c, m, SIZE, SIZE);
      c.dataset.rendered = 'true';
    }
  });
}

function download(arm: Arm): void {
  const d = state.done[arm];
  if (!d) return;
  const url = URL.createObjectURL(new Blob([new Uint8Array(d.weights)], { type: "application/octet-stream" }));
  const a = Object.assign(document.createElement('a'), { href: url, download: `playground-${arm}.safetensors` });
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

function startTraining(): void {
  const s = state.scenes!;
  const labelled = [...state.labels.keys()].filter(isLabelled).sort((a, b) => a - b);
  const unlabelled = Array.from({ length: N_TRAIN }, (_, i) => i).filter((i) => !labelled.includes(i));
  const val = Array.from({ length: N_VAL }, (_, i) => N_TRAIN + i);
  const shown = val.slice(0, SHOWN);
  // The workers see the painted labels of the labelled scenes, the true masks of the validation scenes only
  // (to score them), and no label at all for the unlabelled ones.
  const masks = new Int32Array(s.masks.length).fill(IGNORE);
  for (const i of labelled) masks.set(state.labels.get(i)!, i * per);
  for (const i of val) masks.set(trueMaskOf(s, i), i * per);
  const backend = ($('backend') as HTMLSelectElement).value as PageBackend | 'auto';
  const epochs = Math.max(1, Math.min(200, Number(($('epochs') as HTMLInputElement).value) || 20));
  state.steps = { cct: [], baseline: [] };
  state.evals = { cct: [], baseline: [] };
  state.done = {};
  $('predictions').replaceChildren();
  status(`training on ${labelled.length} labelled + ${unlabelled.length} unlabelled scenes…`);
  workers = ARMS.map((arm) => {
    const w = new Worker(new URL('./cct-worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<WorkerMessage>) => onMessage(e.data, shown);
    w.onerror = (e) => onMessage({ type: 'error', arm, message: e.message }, shown);
    const req: TrainRequest = {
      type: 'train',
      arm,
      backend,
      scenes: { images: s.images, masks, n: s.n, height: SIZE, width: SIZE, channels: s.channels, numClasses: s.numClasses },
      labelled,
      unlabelled,
      val,
      shown,
      epochs,
      seed: 0,
    };
    w.postMessage(req);
    return w;
  });
  ($('train') as HTMLButtonElement).disabled = true;
  ($('stop') as HTMLButtonElement).disabled = false;
}

function stopTraining(reason: string): void {
  for (const w of workers) w.terminate();
  workers = [];
  ($('stop') as HTMLButtonElement).disabled = true;
  status(reason);
  renderGrid();
}

function onMessage(m: WorkerMessage, shown: number[]): void {
  switch (m.type) {
    case 'ready':
      state.backends[m.arm] = m.backend;
      $(`${m.arm}-backend`).textContent = m.backend;
      break;
    case 'step':
      state.steps[m.arm].push([m.step, m.loss]);
      $(`${m.arm}-step`).textContent = `${m.step}${m.totalSteps ? ` / ${m.totalSteps}` : ''}`;
      $(`${m.arm}-loss`).textContent = m.loss.toFixed(4);
      updateCharts();
      break;
    case 'eval':
      state.evals[m.arm].push({ step: m.step, miou: m.miou, pixelAccuracy: m.pixelAccuracy });
      $(`${m.arm}-miou`).textContent = m.miou.toFixed(3);
      state.lastMasks[m.arm] = { scenes: shown, masks: m.masks };
      showPredictions(m.arm, m.masks, shown);
      updateCharts();
      break;
    case 'done':
      state.done[m.arm] = { steps: m.steps, stopReason: m.stopReason, weights: m.weights, tensorNames: m.tensorNames };
      ($(`download-${m.arm}`) as HTMLButtonElement).disabled = false;
      if (ARMS.every((a) => state.done[a])) stopTraining(`done: CCT mIoU ${state.evals.cct.at(-1)?.miou.toFixed(3)}, baseline ${state.evals.baseline.at(-1)?.miou.toFixed(3)}`);
      break;
    case 'error':
      state.errors.push(`${m.arm}: ${m.message}`);
      stopTraining(`error (${m.arm}): ${m.message.split('\n')[0]}`);
      break;
  }
}

function setupTabs(): void {
  const buttons = [...document.querySelectorAll<HTMLButtonElement>('#tabs button')];
  for (const b of buttons) {
    b.addEventListener('click', () => {
      for (const other of buttons) {
        other.classList.toggle('active', other === b);
        $(`tab-${other.dataset.tab}`).hidden = other !== b;
      }
    });
  }
}

async function main(): Promise<void> {
  setupTabs();
  registerOffline((s) => {
    state.offline = s;
    $('offline-status').textContent = s === 'registered' ? 'works offline' : '';
  });
  // Shipped with the page (public/, written by scripts/build-data.ts).
  await Promise.all([initScl(document.baseURI), initPeft(document.baseURI)]);
  const digitsUrl = new URL('digits.bin', document.baseURI).href;
  const res = await fetch(digitsUrl);
  if (!res.ok) throw new Error(`${digitsUrl}: HTTP ${res.status}`);
  const pool = subset(digitPool(new Uint8Array(await res.arrayBuffer())), CLASSES);
  state.scenes = composeDigitScenes(pool, SCENES);
  setupEditor();
  renderGrid();
  $('train').addEventListener('click', startTraining);
  $('stop').addEventListener('click', () => stopTraining('stopped'));
  for (const a of ARMS) $(`download-${a}`).addEventListener('click', () => download(a));
  updateCharts();
  status('ready: label a few scenes, then Train');
  document.body.dataset.ready = 'true';
}

main().catch((e: unknown) => {
  state.errors.push(String(e));
  status(`error: ${String(e)}`);
});
