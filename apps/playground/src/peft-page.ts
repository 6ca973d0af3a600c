// The PEFT demo of the page: the person types a few labelled sentences ("+ loved it", "- broke in a week"), two
// workers fine-tune the shipped BERT on them (a PEFT method, and a baseline), and the page draws their losses, their
// accuracy on held-out review sentences, and their reading of a sentence the person is trying.
import { drawChart } from './chart';
import { PEFT_METHODS } from './peft-config';
import type { PeftArm, PeftArmMethod, PeftTrainRequest, PeftWorkerMessage } from './peft-protocol';
import type { PageBackend } from './protocol';
import type { LabelledTexts, SentencesFile } from './shipped';

const ARMS: PeftArm[] = ['method', 'baseline'];
const COLOUR: Record<PeftArm, string> = { method: '#e6194b', baseline: '#0082c8' };

/** What the PEFT demo shows (on `window.playground.peft`, for the browser test). */
export interface PeftState {
  sentences?: SentencesFile;
  methods: Partial<Record<PeftArm, PeftArmMethod>>;
  steps: Record<PeftArm, [number, number][]>;
  evals: Record<PeftArm, { step: number; epoch: number; accuracy: number; probes: number[] }[]>;
  backends: Partial<Record<PeftArm, string>>;
  trainable: Partial<Record<PeftArm, { trainable: number; all: number }>>;
  done: Partial<Record<PeftArm, { steps: number; weights: Uint8Array }>>;
  errors: string[];
}

export const peftState: PeftState = { methods: {}, steps: { method: [], baseline: [] }, evals: { method: [], baseline: [] }, backends: {}, trainable: {}, done: {}, errors: [] };

const $ = <T extends HTMLElement = HTMLElement>(id: string) => document.getElementById(id) as T;
let workers: Worker[] = [];

/**
 * Labelled sentences from the text box: one per line, `+` (positive) or `-` (negative) first; other lines are
 * ignored. Throws naming the first line that has a sign but no sentence.
 */
export function parseSentences(text: string): LabelledTexts {
  const out: LabelledTexts = { texts: [], labels: [] };
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const sign = line[0];
    if (sign !== '+' && sign !== '-') return;
    const sentence = line.slice(1).trim();
    if (sentence === '') throw new Error(`line ${i + 1}: "${sign}" without a sentence`);
    out.texts.push(sentence);
    out.labels.push(sign === '+' ? 1 : 0);
  });
  return out;
}

function name(arm: PeftArm): string {
  return PEFT_METHODS[peftState.methods[arm] ?? (arm === 'method' ? 'lora' : 'head')];
}

function updateCharts(): void {
  drawChart($('peft-loss-chart') as HTMLCanvasElement, ARMS.map((a) => ({ label: name(a), colour: COLOUR[a], points: peftState.steps[a] })), { title: 'training loss (your sentences)', fromZero: true });
  drawChart($('peft-acc-chart') as HTMLCanvasElement, ARMS.map((a) => ({ label: name(a), colour: COLOUR[a], points: peftState.evals[a].map((e) => [e.step, e.accuracy] as [number, number]) })), { title: 'accuracy on held-out review sentences', fromZero: true });
}

function renderCounts(): void {
  try {
    const s = parseSentences(($('peft-sentences') as HTMLTextAreaElement).value);
    const pos = s.labels.filter((l) => l === 1).length;
    $('peft-count').textContent = `${s.texts.length} sentences (${pos} positive, ${s.texts.length - pos} negative)`;
    ($('peft-train') as HTMLButtonElement).disabled = workers.length > 0 || pos === 0 || pos === s.texts.length;
  } catch (e) {
    $('peft-count').textContent = String(e instanceof Error ? e.message : e);
    ($('peft-train') as HTMLButtonElement).disabled = true;
  }
}

function stop(reason: string): void {
  for (const w of workers) w.terminate();
  workers = [];
  ($('peft-stop') as HTMLButtonElement).disabled = true;
  $('peft-status').textContent = reason;
  renderCounts();
}

function onMessage(m: PeftWorkerMessage): void {
  switch (m.type) {
    case 'ready':
      peftState.backends[m.arm] = m.backend;
      peftState.trainable[m.arm] = { trainable: m.trainable, all: m.all };
      $(`peft-${m.arm}-backend`).textContent = m.backend;
      $(`peft-${m.arm}-params`).textContent = `${m.trainable.toLocaleString('en')} of ${m.all.toLocaleString('en')} (${((100 * m.trainable) / m.all).toFixed(2)} %)`;
      break;
    case 'step':
      peftState.steps[m.arm].push([m.step, m.loss]);
      $(`peft-${m.arm}-step`).textContent = `${m.step}${m.totalSteps ? ` / ${m.totalSteps}` : ''}`;
      $(`peft-${m.arm}-loss`).textContent = m.loss.toFixed(4);
      updateCharts();
      break;
    case 'eval':
      peftState.evals[m.arm].push({ step: m.step, epoch: m.epoch, accuracy: m.accuracy, probes: m.probes });
      $(`peft-${m.arm}-acc`).textContent = `${(100 * m.accuracy).toFixed(1)} %`;
      if (m.probes.length > 0) {
        const p = m.probes[0]!;
        const cell = $(`peft-${m.arm}-probe`);
        cell.textContent = `${p >= 0.5 ? 'positive' : 'negative'} (${(100 * p).toFixed(0)} %)`;
        cell.dataset.rendered = 'true';
      }
      updateCharts();
      break;
    case 'done':
      peftState.done[m.arm] = { steps: m.steps, weights: m.weights };
      if (ARMS.every((a) => peftState.done[a])) {
        const acc = (a: PeftArm) => `${(100 * (peftState.evals[a].at(-1)?.accuracy ?? NaN)).toFixed(1)} %`;
        stop(`done: held-out accuracy ${name('method')} ${acc('method')}, ${name('baseline')} ${acc('baseline')}`);
      }
      break;
    case 'error':
      peftState.errors.push(`${m.arm}: ${m.message}`);
      stop(`error (${m.arm}): ${m.message.split('\n')[0]}`);
      break;
  }
}

function start(baseUrl: string): void {
  const backend = ($('backend') as HTMLSelectElement).value as PageBackend | 'auto';
  const epochs = Math.max(1, Math.min(100, Number(($('peft-epochs') as HTMLInputElement).value) || 10));
  const train = parseSentences(($('peft-sentences') as HTMLTextAreaElement).value);
  const probe = ($('peft-probe') as HTMLInputElement).value.trim();
  peftState.methods = { method: ($('peft-method') as HTMLSelectElement).value as PeftArmMethod, baseline: ($('peft-baseline') as HTMLSelectElement).value as PeftArmMethod };
  peftState.steps = { method: [], baseline: [] };
  peftState.evals = { method: [], baseline: [] };
  peftState.done = {};
  for (const a of ARMS) $(`peft-${a}-name`).textContent = name(a);
  $('peft-status').textContent = `fine-tuning on ${train.texts.length} sentences…`;
  workers = ARMS.map((arm) => {
    const w = new Worker(new URL('./peft-worker.ts', import.meta.url), { type: 'module' });
    w.onmessage = (e: MessageEvent<PeftWorkerMessage>) => onMessage(e.data);
    w.onerror = (e) => onMessage({ type: 'error', arm, message: e.message });
    const req: PeftTrainRequest = { type: 'train', arm, method: peftState.methods[arm]!, backend, baseUrl, train, test: peftState.sentences!.test, probes: probe ? [probe] : [], epochs, seed: 0 };
    w.postMessage(req);
    return w;
  });
  ($('peft-train') as HTMLButtonElement).disabled = true;
  ($('peft-stop') as HTMLButtonElement).disabled = false;
}

/** Loads the shipped sentences and wires the PEFT demo's controls. */
export async function initPeft(baseUrl: string): Promise<void> {
  const res = await fetch(new URL('sentences.json', baseUrl).href);
  if (!res.ok) throw new Error(`sentences.json: HTTP ${res.status}`);
  peftState.sentences = (await res.json()) as SentencesFile;
  const box = $('peft-sentences') as HTMLTextAreaElement;
  box.addEventListener('input', renderCounts);
  $('peft-examples').addEventListener('click', () => {
    const ex = peftState.sentences!.examples;
    box.value = ex.texts.map((t, i) => `${ex.labels[i] === 1 ? '+' : '-'} ${t}`).join('\n');
    renderCounts();
  });
  $('peft-train').addEventListener('click', () => start(baseUrl));
  $('peft-stop').addEventListener('click', () => stop('stopped'));
  $('peft-test-size').textContent = String(peftState.sentences.test.texts.length);
  updateCharts();
  renderCounts();
  $('peft-status').textContent = 'ready: type a few sentences (or fill in examples), then Train';
}
