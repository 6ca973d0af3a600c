// Builds the playground (vite), serves the build, and drives it in headless Chromium on wasm: label 4 scenes, train
// CCT and its baseline (losses fall, masks render, the downloaded weights load in Node); train SCL and its CE
// baseline on the glyphs (episode accuracy reported every epoch, an episode drawn); fine-tune the shipped BERT with
// LoRA beside its head-only baseline on typed sentences; reload the page offline (server gone) and train again.
// Then a CCT run on WebGL (SwiftShader through ANGLE) and, where Chromium finds a WebGPU adapter, both workers
// started on WebGPU and core's reads there checked against tfjs-cpu.
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import { createRequire } from 'node:module';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { build } from 'esbuild';
import { computeGradients, parseSafetensors, toTensorMap } from '@lel/core';
import { CctModel, SmallConvEncoder, parseCctConfig, segmentationSet } from '@lel/cct';
import { composeDigitScenes } from '@lel/datasets';
import { DIGITS_FILE } from '../scripts/build-digits';
import { buildData } from '../scripts/build-data';
import { digitPool } from '../src/digits';
import { regressionCase } from './regression-case';
import { colourOf } from '../src/palette';
import { SCENES, SIZE, subset } from '../src/scenes';
import { ENCODER_WIDTHS, playgroundConfig } from '../src/config';

const CHROMIUM = process.env.LEL_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[playground.browser.test] SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set LEL_CHROMIUM)`);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EPOCHS = 6;
/** Chromium's flags for every run; `--disable-gpu` only where no GPU backend is wanted. */
const BASE_ARGS = ['--headless', '--no-sandbox', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
/** WebGL and WebGPU on the CPU: SwiftShader (Vulkan) under ANGLE, and Dawn's SwiftShader adapter for WebGPU. */
const GPU_ARGS = ['--use-angle=swiftshader', '--enable-unsafe-swiftshader', '--enable-unsafe-webgpu', '--enable-features=Vulkan'];

/** Collects page errors, failed responses and console errors of a page. */
function watchErrors(page: Page): string[] {
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('response', (r) => {
    if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) errors.push(m.text()); // failed loads: named by URL above
  });
  return errors;
}

/** Mean of the last third of a series below its first value. */
function falls(values: number[]): boolean {
  const tail = values.slice(-Math.max(1, Math.floor(values.length / 3)));
  return tail.reduce((a, b) => a + b, 0) / tail.length < values[0]!;
}

async function launch(args: string[]): Promise<BrowserContext> {
  return chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'lel-playground-profile-')), { executablePath: CHROMIUM, headless: true, viewport: { width: 1280, height: 900 }, args });
}

/** The page's tabs, and the two arms each trains side by side (the keys of its part of {@link PageState}). */
type Tab = 'cct' | 'scl' | 'peft';
const TAB_ARMS: Record<Tab, [string, string]> = { cct: ['cct', 'baseline'], scl: ['scl', 'ce'], peft: ['method', 'baseline'] };

/** A new page of `context` at `url`, loaded and ready (`body[data-ready]`) with `tab` picked; the errors it collects. */
async function openTab(context: BrowserContext, url: string, tab: Tab): Promise<{ page: Page; pageErrors: string[] }> {
  const page = await context.newPage();
  const pageErrors = watchErrors(page);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
  await page.click(`#tabs button[data-tab="${tab}"]`);
  return { page, pageErrors };
}

/** Waits until both arms of `tab`'s training are done, or its part of the page reports an error; returns the page's state. */
async function trained(page: Page, tab: Tab, timeout: number): Promise<PageState> {
  await page.waitForFunction(
    ({ tab, arms }) => {
      const p = (window as unknown as { playground: PageState }).playground;
      const s: { errors: string[]; done: Record<string, unknown> } = tab === 'cct' ? p : p[tab];
      return s.errors.length > 0 || arms.every((a) => s.done[a] !== undefined);
    },
    { tab, arms: TAB_ARMS[tab] },
    { timeout, polling: 500 },
  );
  return page.evaluate(() => (window as unknown as { playground: PageState }).playground);
}

/** Labels 4 scenes at random, trains CCT and its baseline for `epochs` on `backend`; returns the page's state. */
async function trainCct(page: Page, backend: string, epochs: number): Promise<PageState> {
  await page.selectOption('#backend', backend);
  await page.fill('#epochs', String(epochs));
  if ((await page.locator('#grid canvas.labelled').count()) === 0) await page.click('#label-random');
  await page.click('#train');
  return trained(page, 'cct', 150_000);
}

/** The WebGPU adapter the page's Chromium offers (`vendor architecture`), or why there is none. */
function webgpuAdapter(page: Page): Promise<string> {
  return page.evaluate(async () => {
    const gpu = (navigator as unknown as { gpu?: { requestAdapter(o?: object): Promise<{ info?: { vendor?: string; architecture?: string } } | null> } }).gpu;
    if (!gpu) return 'no navigator.gpu';
    const a = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    return a ? `${a.info?.vendor ?? '?'} ${a.info?.architecture ?? '?'}` : 'no adapter';
  });
}

interface PageState {
  steps: Record<'cct' | 'baseline', [number, number][]>;
  evals: Record<'cct' | 'baseline', { step: number; miou: number; pixelAccuracy: number }[]>;
  done: Partial<Record<'cct' | 'baseline', { steps: number; stopReason: string; tensorNames: string[] }>>;
  backends: Record<string, string>;
  errors: string[];
  offline?: string;
  scl: {
    steps: Record<'scl' | 'ce', [number, number][]>;
    evals: Record<'scl' | 'ce', { step: number; epoch: number; accuracy: number; ci95: number }[]>;
    backends: Record<string, string>;
    done: Partial<Record<'scl' | 'ce', { steps: number }>>;
    errors: string[];
  };
  peft: {
    steps: Record<'method' | 'baseline', [number, number][]>;
    evals: Record<'method' | 'baseline', { step: number; epoch: number; accuracy: number; probes: number[] }[]>;
    backends: Record<string, string>;
    trainable: Record<'method' | 'baseline', { trainable: number; all: number }>;
    done: Partial<Record<'method' | 'baseline', { steps: number }>>;
    errors: string[];
  };
}

describe.skipIf(!hasChromium)('playground in headless Chromium', () => {
  let outDir: string;
  let server: PreviewServer;
  let browser: BrowserContext;
  let gpuBrowser: BrowserContext | undefined;
  let serverClosed = false;

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-playground-'));
    buildData();
    // In a child process, as `pnpm build` runs it: Workbox's service-worker bundling (rollup plugins loaded through
    // CJS interop) fails inside vitest's module runner.
    execFileSync(process.execPath, [path.join(path.dirname(createRequire(import.meta.url).resolve('vite/package.json')), 'bin', 'vite.js'), 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'], { cwd: root, stdio: 'inherit' });
    server = await preview({ root, configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
    browser = await launch([...BASE_ARGS, '--disable-gpu']);
  }, 180_000);

  /** {@link openTab} on the served build. */
  const open = (context: BrowserContext, tab: Tab) => openTab(context, server.resolvedUrls!.local[0]!, tab);

  afterAll(async () => {
    await browser?.close();
    await gpuBrowser?.close();
    if (!serverClosed) await server?.close();
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('the static build has the page, its workers, the wasm binaries, the shipped data and a service worker', () => {
    const files = fs.readdirSync(outDir, { recursive: true }).map(String);
    expect(files).toContain('index.html');
    for (const f of ['digits.bin', 'glyphs.bin', 'glyphs.json', 'sentences.json', 'bert-mini-lel/model.safetensors', 'bert-mini-lel/vocab.txt', 'sw.js']) expect(files).toContain(f);
    for (const w of ['cct-worker', 'scl-worker', 'peft-worker']) expect(files.some((f) => new RegExp(`${w}.*\\.js$`).test(f))).toBe(true);
    // The service worker precaches every one of them (offline once loaded).
    const sw = fs.readFileSync(path.join(outDir, 'sw.js'), 'utf8');
    for (const f of ['index.html', 'digits.bin', 'glyphs.bin', 'sentences.json', 'bert-mini-lel/model.safetensors']) expect(sw).toContain(`"${f}"`);
    expect(files.filter((f) => /\.wasm$/.test(f)).every((f) => sw.includes(f.replace(/\\/g, '/')))).toBe(true);
    expect(files.some((f) => /tfjs-backend-wasm.*\.wasm$/.test(f))).toBe(true);
    // Everything the page loads is relative (base './'): the folder can be served from anywhere, or opened offline.
    expect(fs.readFileSync(path.join(outDir, 'index.html'), 'utf8')).not.toMatch(/(src|href)="\/(?!\/)/);
  });

  it('labels 4 scenes, trains CCT and the baseline on wasm: losses fall, masks render, the weights load in Node', async () => {
    const { page, pageErrors } = await open(browser, 'cct');
    expect(await page.locator('#train').isDisabled()).toBe(true); // nothing labelled yet
    await page.selectOption('#backend', 'wasm');
    await page.fill('#epochs', String(EPOCHS));
    await page.click('#label-random');
    expect(await page.locator('#grid canvas.labelled').count()).toBe(4);
    // Paint a few pixels of one more scene by hand (the editor): it becomes labelled too.
    await page.click('#grid canvas:not(.labelled)');
    const box = (await page.locator('#editor-canvas').boundingBox())!;
    await page.mouse.move(box.x + 10, box.y + 10);
    await page.mouse.down();
    await page.mouse.move(box.x + 40, box.y + 20, { steps: 4 });
    await page.mouse.up();
    expect(await page.locator('#grid canvas.labelled').count()).toBe(5);
    const labelled = await page.$$eval('#grid canvas.labelled', (cs) => cs.map((c) => Number((c as HTMLCanvasElement).dataset.index)));

    await page.click('#train');
    const state = await trained(page, 'cct', 120_000);
    expect(state.errors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(state.backends).toEqual({ cct: 'wasm', baseline: 'wasm' });
    for (const arm of ['cct', 'baseline'] as const) {
      const losses = state.steps[arm].map(([, l]) => l);
      expect(losses.length).toBeGreaterThanOrEqual(EPOCHS);
      expect(losses.every(Number.isFinite)).toBe(true);
      // The loss falls: the mean of the last third below the first step's.
      expect(falls(losses)).toBe(true);
      expect(state.evals[arm]).toHaveLength(EPOCHS); // one validation per epoch
      for (const e of state.evals[arm]) expect(e.miou).toBeGreaterThanOrEqual(0);
      expect(await page.locator(`#predictions canvas[data-kind="${arm}"][data-rendered="true"]`).count()).toBe(4);
    }
    // The predicted masks are drawn: every pixel of each arm's four canvases is opaque and has the colour of the
    // class the page received for it at the last evaluation, whichever classes that is (a mask of background only is
    // drawn black, so "some pixel not black" would test the prediction, not the drawing).
    const drawn = await page.evaluate(() => {
      const p = (window as unknown as { playground: { lastMasks: Record<string, { scenes: number[]; masks: Int32Array[] }> } }).playground;
      return (['cct', 'baseline'] as const).map((arm) => {
        const { scenes, masks } = p.lastMasks[arm]!;
        return scenes.map((scene, k) => {
          const c = document.querySelector<HTMLCanvasElement>(`#predictions canvas[data-kind="${arm}"][data-scene="${scene}"]`)!;
          return { arm, scene, mask: Array.from(masks[k]!), rgba: Array.from(c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data) };
        });
      });
    });
    for (const { arm, scene, mask, rgba } of drawn.flat()) {
      expect(mask, `${arm} scene ${scene}`).toHaveLength(SIZE * SIZE);
      expect(rgba, `${arm} scene ${scene}`).toHaveLength(SIZE * SIZE * 4);
      const wrong = mask.filter((label, i) => !(rgba[i * 4 + 3] === 255 && colourOf(label).every((v, ch) => rgba[i * 4 + ch] === v))).length;
      expect(wrong, `${arm} scene ${scene}: pixels not drawn in their class's colour`).toBe(0);
    }
    // What the arms predict after this short run is fixed: the labelled scenes come from the page's seeded "Label 4 at
    // random", and training is seeded (both workers start from the same generator state; wasm runs single-threaded).
    const foreground = drawn.map((arm) => arm.map(({ mask }) => mask.filter((v) => v !== 0).length));
    console.info(`[playground.browser.test] CCT on wasm: labelled scenes ${labelled.join(', ')}; last loss CCT ${state.steps.cct.at(-1)![1].toFixed(6)}, baseline ${state.steps.baseline.at(-1)![1].toFixed(6)}; foreground pixels of the shown scenes: CCT ${foreground[0]!.join(', ')}, baseline ${foreground[1]!.join(', ')}`);
    // `PLAYGROUND_SCREENSHOTS=1 pnpm --filter playground test` refreshes the README's screenshots (docs/*.png).
    if (process.env.PLAYGROUND_SCREENSHOTS) await page.screenshot({ path: path.join(root, 'docs', 'cct.png'), fullPage: true });

    // Download the CCT weights through the page's button and load them into the same network in Node.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-cct')]);
    const file = path.join(outDir, 'cct.safetensors');
    await download.saveAs(file);
    const parsed = parseSafetensors(new Uint8Array(fs.readFileSync(file)));
    expect(parsed.metadata?.format).toBe('lel-playground');
    const config = parseCctConfig(JSON.parse(parsed.metadata!.config!));
    expect(config).toEqual(parseCctConfig(playgroundConfig({ arm: 'cct', epochs: EPOCHS, seed: 0, numClasses: config.numClasses })));
    await tf.setBackend('cpu');
    const model = new CctModel(new SmallConvEncoder({ widths: ENCODER_WIDTHS, outputStride: 2 }), config);
    const tensors = toTensorMap(parsed);
    expect(model.loadStateDict(tensors)).toEqual({ missing: [], unexpected: [], mismatched: [] }); // strict: throws on any mismatch
    expect([...tensors.keys()].sort()).toEqual([...state.done.cct!.tensorNames].sort());
    tf.dispose([...tensors.values()]);
    // The loaded network predicts in Node what the page showed at its last evaluation (the final weights).
    const shown = await page.evaluate(() => {
      const s = (window as unknown as { playground: { lastMasks: { cct: { scenes: number[]; masks: Int32Array[] } } } }).playground.lastMasks.cct;
      return { scenes: s.scenes, masks: s.masks.map((m) => Array.from(m)) };
    });
    const pool = subset(digitPool(new Uint8Array(fs.readFileSync(DIGITS_FILE))), config.numClasses - 1);
    const scenes = composeDigitScenes(pool, SCENES);
    const set = segmentationSet(scenes, shown.scenes, { rgb: true });
    model.eval();
    const labels = tf.tidy(() => tf.argMax(model.forward(set.images) as tf.Tensor4D, -1));
    const nodeMasks = (await labels.data()) as Int32Array;
    tf.dispose([labels, set.images, set.labels]);
    const pageMasks = shown.masks.flat();
    const agree = pageMasks.filter((v, i) => v === nodeMasks[i]).length / pageMasks.length;
    expect(agree).toBeGreaterThan(0.99); // wasm in the page vs cpu in Node: the same argmax up to near-ties
    model.dispose();
    await page.close();
  }, 180_000);

  it('SCL: CE + SC and CE alone train on the base glyphs; 5-way episode accuracy on the novel glyphs every epoch; an episode is drawn', async () => {
    const { page, pageErrors } = await open(browser, 'scl');
    expect(await page.locator('#scl-base canvas').count()).toBe(20 * 3);
    await page.selectOption('#backend', 'wasm');
    await page.fill('#scl-epochs', '1');
    await page.click('#scl-train');
    const s = (await trained(page, 'scl', 150_000)).scl;
    expect(s.errors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(s.backends).toEqual({ scl: 'wasm', ce: 'wasm' });
    for (const arm of ['scl', 'ce'] as const) {
      const losses = s.steps[arm].map(([, l]) => l);
      expect(losses).toHaveLength(12); // 400 base drawings in batches of 32: 12 steps an epoch
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(falls(losses)).toBe(true);
      expect(s.evals[arm].map((e) => e.epoch)).toEqual([0, 1]); // the untrained network, then every epoch
      expect(s.evals[arm][1]!.accuracy).not.toBe(s.evals[arm][0]!.accuracy);
      for (const e of s.evals[arm]) {
        expect(e.accuracy).toBeGreaterThan(0);
        expect(e.accuracy).toBeLessThanOrEqual(1);
        expect(e.ci95).toBeGreaterThan(0);
      }
      expect(await page.locator(`#scl-episode-${arm}[data-rendered="true"] canvas`).count()).toBe(5 + 5 * 10); // 5-way 1-shot support + 10 queries a class
    }
    console.info(`[playground.browser.test] SCL episode accuracy (before → after 1 epoch): CE + SC ${s.evals.scl.map((e) => e.accuracy.toFixed(3)).join(' → ')}, CE ${s.evals.ce.map((e) => e.accuracy.toFixed(3)).join(' → ')}`);
    // The two arms differ by the loss: CE + SC's loss has the spatial term on top of CE.
    expect(s.steps.scl[0]![1]).toBeGreaterThan(s.steps.ce[0]![1]);
    if (process.env.PLAYGROUND_SCREENSHOTS) await page.screenshot({ path: path.join(root, 'docs', 'scl.png'), fullPage: true });
    await page.close();
  }, 180_000);

  it('PEFT: LoRA and the head-only baseline fine-tune the shipped BERT on typed sentences; held-out accuracy every epoch; the tried sentence is read', async () => {
    const { page, pageErrors } = await open(browser, 'peft');
    expect(await page.locator('#peft-train').isDisabled()).toBe(true); // no sentences yet
    await page.click('#peft-examples');
    // Type one more sentence of each class by hand.
    await page.locator('#peft-sentences').press('End');
    await page.locator('#peft-sentences').pressSequentially('\n+ Works perfectly, I would buy it again.\n- Stopped working after a week.');
    expect(await page.locator('#peft-count').textContent()).toBe('14 sentences (7 positive, 7 negative)');
    await page.selectOption('#backend', 'wasm');
    await page.selectOption('#peft-method', 'lora');
    await page.selectOption('#peft-baseline', 'head');
    await page.fill('#peft-epochs', '3');
    await page.click('#peft-train');
    const s = (await trained(page, 'peft', 150_000)).peft;
    expect(s.errors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(s.backends).toEqual({ method: 'wasm', baseline: 'wasm' });
    // bert-mini-lel: hidden 128, 2 layers. Head only: the 128 × 2 classifier and its bias; LoRA: r 8 on query and value
    // of both layers (2 × 2 × 8 × (128 + 128)) plus the head; the rest frozen.
    expect(s.trainable.baseline.trainable).toBe(128 * 2 + 2);
    expect(s.trainable.method.trainable).toBe(2 * 2 * 8 * 256 + 128 * 2 + 2);
    expect(s.trainable.method.all).toBe(s.trainable.baseline.all + 2 * 2 * 8 * 256);
    for (const arm of ['method', 'baseline'] as const) {
      const losses = s.steps[arm].map(([, l]) => l);
      expect(losses).toHaveLength(3 * 4); // 14 sentences in batches of 4: 4 steps an epoch
      expect(losses.every(Number.isFinite)).toBe(true);
      expect(s.evals[arm].map((e) => e.epoch)).toEqual([0, 1, 2, 3]); // before fine-tuning, then every epoch
      for (const e of s.evals[arm]) {
        expect(e.accuracy).toBeGreaterThanOrEqual(0);
        expect(e.accuracy).toBeLessThanOrEqual(1);
        expect(e.probes).toHaveLength(1);
        expect(e.probes[0]).toBeGreaterThan(0);
        expect(e.probes[0]).toBeLessThan(1);
      }
      expect(await page.locator(`#peft-${arm}-probe[data-rendered="true"]`).count()).toBe(1);
    }
    console.info(`[playground.browser.test] PEFT held-out accuracy by epoch: LoRA ${s.evals.method.map((e) => e.accuracy.toFixed(3)).join(' → ')}, head only ${s.evals.baseline.map((e) => e.accuracy.toFixed(3)).join(' → ')}`);
    // Both start from the same weights and head (the same reading before fine-tuning); LoRA moves the attention, the
    // baseline only its head: after the same steps their readings differ, and each has moved.
    expect(s.evals.method[0]!.probes[0]).toBeCloseTo(s.evals.baseline[0]!.probes[0]!, 5);
    expect(s.evals.method.at(-1)!.probes[0]).not.toBe(s.evals.baseline.at(-1)!.probes[0]);
    for (const arm of ['method', 'baseline'] as const) expect(s.evals[arm].at(-1)!.probes[0]).not.toBe(s.evals[arm][0]!.probes[0]);
    if (process.env.PLAYGROUND_SCREENSHOTS) await page.screenshot({ path: path.join(root, 'docs', 'peft.png'), fullPage: true });
    await page.close();
  }, 180_000);

  it('trains on WebGL (SwiftShader under ANGLE, no GPU needed)', async () => {
    gpuBrowser = await launch([...BASE_ARGS, ...GPU_ARGS]);
    const { page, pageErrors } = await open(gpuBrowser, 'cct');
    // One epoch: SwiftShader compiles every shader on the CPU, which is most of the time here.
    const state = await trainCct(page, 'webgl', 1);
    expect(state.errors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(state.backends).toEqual({ cct: 'webgl', baseline: 'webgl' });
    for (const arm of ['cct', 'baseline'] as const) {
      expect(state.steps[arm].length).toBeGreaterThan(0);
      expect(state.steps[arm].every(([, l]) => Number.isFinite(l) && l > 0)).toBe(true);
      expect(state.evals[arm]).toHaveLength(1);
      expect(await page.locator(`#predictions canvas[data-kind="${arm}"][data-rendered="true"]`).count()).toBe(4);
    }
    await page.close();
  }, 180_000);

  it('starts both workers on WebGPU where Chromium finds an adapter (else skipped, saying so)', async (t) => {
    gpuBrowser ??= await launch([...BASE_ARGS, ...GPU_ARGS]);
    const { page, pageErrors } = await open(gpuBrowser, 'cct');
    const adapter = await webgpuAdapter(page);
    if (adapter === 'no navigator.gpu' || adapter === 'no adapter') {
      await page.close();
      t.skip(`WebGPU: ${adapter} in this Chromium (${GPU_ARGS.join(' ')})`);
    }
    // The backend starts in both workers (initBackend forced to webgpu, LEL's WebGPU factory on the page's adapter).
    // Training is not awaited: on Dawn's SwiftShader adapter the first step alone takes about two minutes of shader
    // compilation on 2 CPU cores (measured 2026-12-05), too long for CI.
    await page.selectOption('#backend', 'webgpu');
    await page.fill('#epochs', '1');
    await page.click('#label-random');
    await page.click('#train');
    await page.waitForFunction(
      () => {
        const s = (window as unknown as { playground: PageState }).playground;
        return s.errors.length > 0 || (s.backends.cct !== undefined && s.backends.baseline !== undefined);
      },
      undefined,
      { timeout: 60_000, polling: 250 },
    );
    const state = await page.evaluate(() => (window as unknown as { playground: PageState }).playground);
    await page.click('#stop');
    expect(state.errors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(state.backends).toEqual({ cct: 'webgpu', baseline: 'webgpu' });
    console.info(`[playground.browser.test] WebGPU adapter in Chromium: ${adapter}`);
    await page.close();
  }, 120_000);

  it("reads on WebGPU return what the GPU computed: a gradient step's loss and gradients are tfjs-cpu's, a synchronous read of a GPU tensor throws (where Chromium finds an adapter)", async (t) => {
    // The playground's first CCT loss once read 0.000 on Chromium's SwiftShader adapter: computeGradients read the
    // loss with dataSync, and tfjs-webgpu's synchronous read (a copy through OffscreenCanvas) returns zeros there
    // without an error. Now reads are asynchronous, and core's webgpu backend makes a sync read that cannot work throw.
    await build({
      entryPoints: [path.join(root, 'test', 'webgpu-reads-page.ts')],
      outfile: path.join(outDir, 'webgpu-reads', 'page.js'),
      bundle: true,
      format: 'esm',
      platform: 'browser',
      conditions: ['@lel/source'],
      ignoreAnnotations: true, // tfjs registers kernels and gradients as import side effects
      logLevel: 'warning',
    });
    fs.writeFileSync(path.join(outDir, 'webgpu-reads', 'index.html'), '<!doctype html><script type="module" src="./page.js"></script>');
    // A context of its own: the playground's service worker (registered in the other contexts) would answer this
    // navigation with the app's index.html.
    const context = await launch([...BASE_ARGS, ...GPU_ARGS]);
    try {
      const page = await context.newPage();
      const pageErrors = watchErrors(page);
      await page.goto(`${server.resolvedUrls!.local[0]!}webgpu-reads/`, { waitUntil: 'load' });
      const adapter = await webgpuAdapter(page);
      if (adapter === 'no navigator.gpu' || adapter === 'no adapter') t.skip(`WebGPU: ${adapter} in this Chromium (${GPU_ARGS.join(' ')})`);
      await page.waitForFunction(() => (window as unknown as { webgpuReads?: unknown }).webgpuReads !== undefined, undefined, { timeout: 90_000, polling: 250 });
      const got = await page.evaluate(() => (window as unknown as { webgpuReads: Record<string, unknown> }).webgpuReads);
      expect(pageErrors).toEqual([]);
      expect(got.error).toBeUndefined();
      expect(got.backend).toBe('webgpu');
      // The same step on tfjs-cpu in Node.
      await tf.setBackend('cpu');
      const { loss, params, dispose } = regressionCase();
      const want = await computeGradients(loss, params);
      expect(want.loss).toBeGreaterThan(0.1);
      expect(got.loss as number).toBeCloseTo(want.loss, 5);
      for (const [name, grad] of want.grads) {
        const g = (got.grads as Record<string, number[]>)[name]!;
        expect(g, name).toHaveLength(grad.size);
        (await grad.data()).forEach((v, i) => expect(g[i], `${name}[${i}]`).toBeCloseTo(v, 5));
      }
      tf.dispose([...want.grads.values()]);
      dispose();
      // Where the adapter's synchronous read does not return what is on the GPU (SwiftShader: zeros), it throws
      // saying so; where it works (a hardware adapter), it returns the values. Never zeros in silence.
      const sync = got.sync as { values?: number[]; error?: string };
      const doubled = Array.from({ length: 2048 }, (_, i) => 2 * i);
      if (sync.error !== undefined) expect(sync.error).toMatch(/^WebGPU: synchronous read .* float32\[2048\] tensor .*await t\.data\(\)/);
      else expect(sync.values).toEqual(doubled);
      expect(got.asyncAfter).toEqual(doubled);
      expect(got.host).toEqual([5, 6]); // values on the host are read synchronously either way
      console.info(`[playground.browser.test] WebGPU reads in Chromium (${adapter}): loss ${(got.loss as number).toFixed(6)} (cpu ${want.loss.toFixed(6)}); synchronous read: ${sync.error !== undefined ? `throws (${sync.error})` : 'works'}`);
    } finally {
      await context.close();
    }
  }, 180_000);

  // Last: it stops the server.
  it('works offline once loaded: with the server gone and the network off, the page reloads from its service worker and trains', async () => {
    const { page, pageErrors } = await open(browser, 'cct');
    await page.waitForFunction(() => (window as unknown as { playground: PageState }).playground.offline === 'registered' && navigator.serviceWorker.controller !== null, undefined, { timeout: 60_000, polling: 250 });
    await server.close();
    serverClosed = true;
    await browser.setOffline(true); // CDP Network.emulateNetworkConditions, pages and workers alike
    await page.reload({ waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
    // The shipped BERT comes from the cache too (the PEFT workers fetch it).
    expect(await page.evaluate(async () => (await fetch('bert-mini-lel/vocab.txt')).ok)).toBe(true);
    const state = await trainCct(page, 'wasm', 1);
    expect(state.errors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(state.done.cct?.steps).toBeGreaterThan(0);
    expect(state.evals.cct).toHaveLength(1);
    await page.close();
  }, 180_000);
});
