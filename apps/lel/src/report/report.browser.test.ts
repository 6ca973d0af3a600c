import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type BrowserContext } from 'playwright-core';
import { decodeImage } from '@lel/datasets/node';
import { TINY_SETS, artifactsDir, tempDir } from '../testing';
import { trainCommand } from '../train';
import { writeRunReport } from './index';

const CHROMIUM = process.env.LEL_CHROMIUM ?? '/usr/bin/chromium';
const hasChromium = fs.existsSync(CHROMIUM);
if (!hasChromium) console.warn(`[report.browser.test] SKIPPED: no Chromium at ${CHROMIUM} (apt-get install -y chromium, or set LEL_CHROMIUM)`);

describe.skipIf(!hasChromium)('HTML report in headless Chromium', () => {
  let browser: BrowserContext;
  let userDataDir: string;
  let runs: string[];
  const quiet = () => {};

  beforeAll(async () => {
    const dir = tempDir('report');
    runs = [path.join(dir, 'cct'), path.join(dir, 'finetune-full')];
    await trainCommand('cct', { set: TINY_SETS.cct!, out: runs[0], progress: 'none', log: quiet, backend: 'wasm' });
    await trainCommand('finetune-full', { set: TINY_SETS['finetune-full']!, out: runs[1], progress: 'none', log: quiet, backend: 'wasm' });
    userDataDir = tempDir('chromium-profile');
    // A fresh profile (--user-data-dir, which playwright takes as launchPersistentContext's first argument).
    browser = await chromium.launchPersistentContext(userDataDir, {
      executablePath: CHROMIUM,
      headless: true,
      viewport: { width: 1280, height: 900 },
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 240_000);

  afterAll(async () => {
    await browser?.close();
  });

  async function open(file: string) {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    await page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
    return { page, errors };
  }

  it('a single-run report loads without errors; its charts and sample images render', async () => {
    const file = path.join(runs[0]!, 'report.html');
    expect(fs.existsSync(file)).toBe(true);
    const { page, errors } = await open(file);
    const charts = await page.$$eval('svg.chart', (els) =>
      els.map((e) => {
        const box = e.getBoundingClientRect();
        const marks = [...e.querySelectorAll('path.series, circle.point, rect.bar, rect.cell')].filter((m) => {
          const b = m.getBoundingClientRect();
          return b.width > 0 || b.height > 0;
        });
        return { kind: e.getAttribute('data-kind'), label: e.getAttribute('aria-label'), w: box.width, h: box.height, marks: marks.length };
      }),
    );
    const labels = charts.map((c) => c.label);
    expect(labels).toEqual(expect.arrayContaining(['Training losses', 'Validation metrics', 'Per-class IoU', 'Confusion matrix']));
    for (const c of charts) {
      expect(c.w, c.label!).toBeGreaterThan(100);
      expect(c.h, c.label!).toBeGreaterThan(100);
      expect(c.marks, `${c.label} has nothing drawn`).toBeGreaterThan(0);
    }
    const images = await page.$$eval('img.sample', (els) => els.map((e) => {
      const img = e as unknown as { complete: boolean; naturalWidth: number; naturalHeight: number };
      return { ok: img.complete, w: img.naturalWidth, h: img.naturalHeight };
    }));
    expect(images.length).toBeGreaterThan(0);
    for (const img of images) {
      expect(img.ok).toBe(true);
      expect(img.w).toBe(3 * 32 + 4); // image | ground truth | prediction, 2 px apart
      expect(img.h).toBe(32);
    }
    expect(errors).toEqual([]);
    await page.close();
  });

  it('a comparison report renders tables and bars for both runs; a screenshot is kept', async () => {
    const file = writeRunReport(runs, path.join(path.dirname(runs[0]!), 'compare.html'));
    const { page, errors } = await open(file);
    const rows = await page.$$eval('table.compare tr', (els) => els.length);
    expect(rows).toBe(3);
    const labels = await page.$$eval('svg.chart', (els) => els.map((e) => e.getAttribute('aria-label')));
    expect(labels).toEqual(expect.arrayContaining(['miou by run', 'accuracy by run', 'Trainable parameters (log scale)', 'Training loss by run']));
    const bars = await page.$$eval('svg[aria-label="Trainable parameters (log scale)"] rect.bar', (els) => els.map((e) => e.getBoundingClientRect().height));
    expect(bars).toHaveLength(2);
    for (const h of bars) expect(h).toBeGreaterThan(0);
    const shot = path.join(artifactsDir(), 'report-comparison.png');
    await page.screenshot({ path: shot, fullPage: true });
    // The screenshot is not blank: many distinct colours.
    const img = decodeImage(new Uint8Array(fs.readFileSync(shot)), shot, { channels: 3 });
    const colours = new Set<string>();
    for (let i = 0; i < img.data.length; i += 3 * 97) colours.add(`${img.data[i]},${img.data[i + 1]},${img.data[i + 2]}`);
    expect(colours.size).toBeGreaterThan(20);
    expect(errors).toEqual([]);
    await page.close();
  });
});
