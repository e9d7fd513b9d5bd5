// The report page in a real browser: headless Chromium opens index.html from file://, every figure
// renders (an <svg> in its container), with no console errors, page errors, failed or outside
// requests. Skipped, with a warning saying why, when Chromium cannot be found or installed; in CI
// (`CI` set) that fails instead, naming what is missing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessCi } from '../../../tools/test-requirements.js';
import { writeReport } from '../src/index.js';
import { CHROMIUM_ARGS, findOrInstallChromium } from './chromium.js';
import type { ChromiumLookup } from './chromium.js';
import { allFigures, METADATA } from './report-fixture.js';
import { layersRows } from './rows.js';

/** The few DOM members the page functions use (the package compiles without the DOM lib). */
interface PageElement {
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
  querySelector(selector: string): unknown;
  querySelectorAll(selector: string): ArrayLike<unknown>;
}
interface PageGlobals {
  document: { querySelectorAll(selector: string): Iterable<PageElement>; body: { innerText: string } };
  vega: { version: string };
}

const scratch = mkdtempSync(join(tmpdir(), 'sinkscope-report-browser-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('report page in headless Chromium', () => {
  let lookup: ChromiumLookup;
  beforeAll(() => {
    lookup = findOrInstallChromium();
  }, 330_000);

  it('renders every figure offline with no console errors or failed requests', async (ctx) => {
    if ('unavailable' in lookup) {
      skipUnlessCi('Chromium (Debian package chromium, for the report browser test)', lookup.unavailable);
      ctx.skip();
      return;
    }
    const figures = allFigures();
    const { indexHtml } = await writeReport({
      outDir: join(scratch, 'report'),
      title: 'sinkscope report: browser test',
      metadata: { ...METADATA, versions: '{"vega":"6.4.0","node":"v20.20.2"}' },
      summary: '## gpt2\n\nmodel-level Sink_1: 47.88 %\n\n| hidden state | top \\|activation\\| |\n|---|---:|\n| 0 | 1.25 |\n| 1 | 4.63 |',
      figures,
      tables: [{ title: 'layers', rows: layersRows('gpt2') }],
    });

    const browser = await chromium.launch({ executablePath: lookup.path, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('console', (message) => {
        if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
      });
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('requestfailed', (request) => problems.push(`failed request: ${request.url()} (${request.failure()?.errorText})`));
      page.on('request', (request) => {
        if (!/^(file|data|blob):/.test(request.url())) problems.push(`outside request: ${request.url()}`);
      });

      await page.goto(pathToFileURL(indexHtml).href);
      await page.waitForFunction(
        (count) => {
          const containers = [...(globalThis as unknown as PageGlobals).document.querySelectorAll('[data-figure-id]')];
          return (
            containers.length === count &&
            containers.every((c) => c.hasAttribute('data-error') || (c.getAttribute('data-rendered') === 'true' && c.querySelector('svg, canvas')))
          );
        },
        figures.length,
        { timeout: 30_000 },
      );
      const state = await page.evaluate(() =>
        [...(globalThis as unknown as PageGlobals).document.querySelectorAll('[data-figure-id]')].map((c) => ({
          id: c.getAttribute('data-figure-id'),
          error: c.getAttribute('data-error'),
          marks: c.querySelectorAll('svg .role-mark').length,
        })),
      );
      expect(state.map((s) => s.id)).toEqual(figures.map((f) => f.id));
      expect(state.filter((s) => s.error !== null)).toEqual([]);
      for (const figure of state) expect(figure.marks, figure.id ?? '').toBeGreaterThan(0);
      expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).vega.version)).toBe('6.4.0');
      // what a reader sees: no Markdown syntax left over, the summary's table and the versions as tables
      const text = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.innerText);
      expect(text).not.toContain('|---');
      expect(text.split('\n').filter((line) => /^\s*#/.test(line))).toEqual([]);
      expect(text).toContain('model-level Sink_1: 47.88 %');
      const tables = await page.evaluate(() =>
        [...(globalThis as unknown as PageGlobals).document.querySelectorAll('.summary table tr, table.metadata table tr')].map((row) =>
          Array.from((row as unknown as PageElement).querySelectorAll('th, td') as ArrayLike<{ textContent: string }>, (cell) => cell.textContent),
        ),
      );
      expect(tables).toEqual([['hidden state', 'top |activation|'], ['0', '1.25'], ['1', '4.63'], ['vega', '6.4.0'], ['node', 'v20.20.2']]);

      const shots = mkdtempSync(join(tmpdir(), 'sinkscope-report-screenshot-'));
      const screenshot = join(shots, 'report.png');
      await page.screenshot({ path: screenshot, fullPage: true });
      console.log(`report screenshot: ${screenshot}`);
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 90_000);
});
