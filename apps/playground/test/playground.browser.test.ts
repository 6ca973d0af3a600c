// Builds the playground (vite), serves the build, and drives it in headless Chromium: label 4 scenes, train CCT
// and its baseline on wasm, see the losses fall and masks render, then load the downloaded weights in Node.
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { chromium, type BrowserContext } from 'playwright-core';
import { build, preview, type PreviewServer } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseSafetensors, toTensorMap } from '@lel/core';
import { CctModel, SmallConvEncoder, parseCctConfig, segmentationSet } from '@lel/cct';
import { composeDigitScenes } from '@lel/datasets';
import { DIGITS_FILE, writeDigits } from '../scripts/build-digits';
import { digitPool } from '../src/digits';
import { SCENES, subset } from '../src/scenes';
import { ENCODER_WIDTHS, playgroundConfig } from '../src/config';

const CHROMIUM = process.env.LEL_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[playground.browser.test] SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set LEL_CHROMIUM)`);

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const EPOCHS = 6;

interface PageState {
  steps: Record<'cct' | 'baseline', [number, number][]>;
  evals: Record<'cct' | 'baseline', { step: number; miou: number; pixelAccuracy: number }[]>;
  done: Partial<Record<'cct' | 'baseline', { steps: number; stopReason: string; tensorNames: string[] }>>;
  backends: Record<string, string>;
  errors: string[];
}

describe.skipIf(!hasChromium)('playground in headless Chromium', () => {
  let outDir: string;
  let server: PreviewServer;
  let browser: BrowserContext;

  beforeAll(async () => {
    outDir = fs.mkdtempSync(path.join(os.tmpdir(), 'lel-playground-'));
    writeDigits();
    await build({ root, configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir, emptyOutDir: true } });
    server = await preview({ root, configFile: path.join(root, 'vite.config.ts'), logLevel: 'warn', build: { outDir }, preview: { port: 0, host: '127.0.0.1', strictPort: false } });
    browser = await chromium.launchPersistentContext(fs.mkdtempSync(path.join(os.tmpdir(), 'lel-playground-profile-')), {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await server?.close();
    if (outDir) fs.rmSync(outDir, { recursive: true, force: true });
  });

  it('the static build has the page, its worker, the wasm binaries and the digits', () => {
    const files = fs.readdirSync(outDir, { recursive: true }).map(String);
    expect(files).toContain('index.html');
    expect(files).toContain('digits.bin');
    expect(files.some((f) => /worker.*\.js$/.test(f))).toBe(true);
    expect(files.some((f) => /tfjs-backend-wasm.*\.wasm$/.test(f))).toBe(true);
    // Everything the page loads is relative (base './'): the folder can be served from anywhere, or opened offline.
    expect(fs.readFileSync(path.join(outDir, 'index.html'), 'utf8')).not.toMatch(/(src|href)="\/(?!\/)/);
  });

  it('labels 4 scenes, trains CCT and the baseline on wasm: losses fall, masks render, the weights load in Node', async () => {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on('pageerror', (e) => pageErrors.push(String(e)));
    page.on('response', (r) => {
      if (r.status() >= 400) pageErrors.push(`HTTP ${r.status()}: ${r.url()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error' && !m.text().startsWith('Failed to load resource')) pageErrors.push(m.text()); // failed loads: named by URL above
    });
    const url = server.resolvedUrls!.local[0]!;
    await page.goto(url, { waitUntil: 'load' });
    await page.waitForSelector('body[data-ready="true"]', { timeout: 30_000 });
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

    await page.click('#train');
    await page.waitForFunction(
      () => {
        const s = (window as unknown as { playground: PageState }).playground;
        return s.errors.length > 0 || (s.done.cct !== undefined && s.done.baseline !== undefined);
      },
      undefined,
      { timeout: 120_000, polling: 500 },
    );
    const state = await page.evaluate(() => (window as unknown as { playground: PageState }).playground);
    expect(state.errors).toEqual([]);
    expect(pageErrors).toEqual([]);
    expect(state.backends).toEqual({ cct: 'wasm', baseline: 'wasm' });
    for (const arm of ['cct', 'baseline'] as const) {
      const losses = state.steps[arm].map(([, l]) => l);
      expect(losses.length).toBeGreaterThanOrEqual(EPOCHS);
      expect(losses.every(Number.isFinite)).toBe(true);
      // The loss falls: the mean of the last third below the first step's.
      const tail = losses.slice(-Math.max(1, Math.floor(losses.length / 3)));
      expect(tail.reduce((a, b) => a + b, 0) / tail.length).toBeLessThan(losses[0]!);
      expect(state.evals[arm]).toHaveLength(EPOCHS); // one validation per epoch
      for (const e of state.evals[arm]) expect(e.miou).toBeGreaterThanOrEqual(0);
      expect(await page.locator(`#predictions canvas[data-kind="${arm}"][data-rendered="true"]`).count()).toBe(4);
    }
    // The chart and the predicted masks are drawn (non-blank pixels).
    const inked = await page.evaluate(() => {
      const c = document.querySelector<HTMLCanvasElement>('#predictions canvas[data-kind="cct"]')!;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      return d.length > 0 && d.some((v, i) => i % 4 !== 3 && v > 0);
    });
    expect(inked).toBe(true);
    // `PLAYGROUND_SCREENSHOT=docs/playground.png pnpm --filter playground test` refreshes the README's screenshot.
    if (process.env.PLAYGROUND_SCREENSHOT) await page.screenshot({ path: path.resolve(root, process.env.PLAYGROUND_SCREENSHOT), fullPage: true });

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
});
