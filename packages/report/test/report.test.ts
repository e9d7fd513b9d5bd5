// writeReport: the files it writes, that the page needs no network, and that a failure writes nothing.
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatNumber, pngSize, writeReport } from '../src/index.js';
import type { TopLevelSpec, WrittenReport } from '../src/index.js';
import { allFigures, METADATA } from './report-fixture.js';
import { layersRows } from './rows.js';
import { svgSize } from './svg-inspect.js';

const scratch = mkdtempSync(join(tmpdir(), 'sinkscope-report-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const VERSIONS = { '@sinkscope/metrics': '0.1.0', node: 'v20.20.2' };
const SUMMARY = `First paragraph.

Second | paragraph <b>not bold</b>.

## gpt2

| hidden state | top \\|activation\\| | ratio |
|---|---|---:|
| 0 | 1.25 | 1.84 |
| 1 | 4.63 | 0.31 |`;

describe('writeReport', () => {
  const outDir = join(scratch, 'report');
  const figures = allFigures().slice(0, 3);
  const layerRows = layersRows('gpt2').map((row) => ({ ...row, norm_ratio: Math.fround(row.norm_ratio as number) }));
  let written: WrittenReport;
  let html: string;
  beforeAll(async () => {
    written = await writeReport({
      outDir,
      title: 'sink-valley <gpt2> report',
      metadata: new Map([...Object.entries(METADATA), ['versions', JSON.stringify(VERSIONS)]]),
      summary: SUMMARY,
      figures,
      tables: [{ title: 'layers', rows: layerRows }],
      pngScale: 1.5,
    });
    html = readFileSync(written.indexHtml, 'utf8');
  });

  it('writes index.html, summary.md and svg/png/vl.json per figure, and no temporary files', () => {
    expect(readdirSync(outDir).sort()).toEqual(['figures', 'index.html', 'summary.md']);
    expect(readdirSync(join(outDir, 'figures')).sort()).toEqual(
      figures.flatMap((f) => [`${f.id}.png`, `${f.id}.svg`, `${f.id}.vl.json`]).sort(),
    );
    expect(written.figures.map((f) => f.id)).toEqual(figures.map((f) => f.id));
  });

  it('writes the Vega-Lite JSON unchanged, and PNGs at pngScale × the SVG size', () => {
    for (const [i, figure] of written.figures.entries()) {
      expect(JSON.parse(readFileSync(figure.vlJson, 'utf8'))).toEqual(JSON.parse(JSON.stringify(figures[i].spec)));
      const { width, height } = svgSize(readFileSync(figure.svg, 'utf8'));
      expect(pngSize(readFileSync(figure.png))).toEqual({ width: Math.round(1.5 * width), height: Math.round(1.5 * height) });
    }
  });

  it('inlines vega, vega-lite and vega-embed and loads nothing from elsewhere', () => {
    expect(html).toContain('<script data-bundle="vega@6.4.0">');
    expect(html).toContain('<script data-bundle="vega-lite@6.4.3">');
    expect(html).toContain('<script data-bundle="vega-embed@7.3.0">');
    expect(html).not.toMatch(/<script[^>]+src=/);
    expect(html).not.toMatch(/<link\b/);
    expect(html).not.toMatch(/\b(src|href)="(https?:)?\/\//);
    // one container and one embedded spec per figure
    for (const figure of figures) {
      expect(html).toContain(`<div class="figure-view" data-figure-id="${figure.id}"></div>`);
      expect(html).toContain(`<script type="application/json" id="spec-${figure.id}">`);
    }
  });

  it('escapes the title and shows float32 table cells as their shortest exact decimal', () => {
    expect(html).toContain('<title>sink-valley &lt;gpt2&gt; report</title>');
    expect(html).toContain(`<td class="num">${formatNumber(layerRows[1].norm_ratio)}</td>`);
    expect(formatNumber(layerRows[1].norm_ratio)).toBe('1.1335499');
  });

  it('renders the Markdown summary as HTML: headings, real tables with their alignment, raw HTML shown as text', () => {
    expect(html).toContain('<h3>gpt2</h3>');
    expect(html).toContain('<th>top |activation|</th>');
    expect(html).toMatch(/<tr>\s*<td>0<\/td>\s*<td>1\.25<\/td>\s*<td align="right">1\.84<\/td>\s*<\/tr>/);
    expect(html).toContain('Second | paragraph &lt;b&gt;not bold&lt;/b&gt;.');
    expect(html).not.toContain('|---');
    expect(html).not.toContain('## gpt2');
  });

  it('lists every figure at the top with its paper figure and a link, and shows versions as a table', () => {
    const index = html.slice(html.indexOf('<section id="figure-index">'), html.indexOf('</section>', html.indexOf('<section id="figure-index">')));
    expect(html.indexOf('id="figure-index"')).toBeLessThan(html.indexOf('id="summary"'));
    figures.forEach((figure, i) => {
      expect(index).toContain(`<tr><td class="num">${i + 1}</td><td><a href="#figure-${figure.id}">${figure.title}</a></td><td>${figure.paperFigure}</td>`);
      expect(html).toContain(`<figure id="figure-${figure.id}">`);
    });
    expect(html).toContain('<tr><td>versions</td><td><table><tbody><tr><td>@sinkscope/metrics</td><td>0.1.0</td></tr><tr><td>node</td><td>v20.20.2</td></tr></tbody></table></td></tr>');
    expect(html).not.toContain('{&quot;@sinkscope');
  });

  it('writes summary.md with metadata, figure links and the table', () => {
    const md = readFileSync(written.summaryMd, 'utf8');
    expect(md).toContain('# sink-valley <gpt2> report');
    expect(md).toContain(SUMMARY);
    expect(md).toContain('| 1 | [Per-layer profile](#per-layer-profile) | Queipo-de-Llano et al. 2025, Fig. 1 |');
    expect(md).toContain('| versions | @sinkscope/metrics 0.1.0; node v20.20.2 |');
    expect(md).toContain('| eps | 0.3 |');
    expect(md).toContain('[PNG](figures/layer-profile.png)');
    expect(md).toContain('| model | hidden_index | layer | sink_rate |');
    expect(md).toContain('| gpt2 | 1 | 0 | 0 | 3.3092149733606213 | 2.919337644435679 | 1.1335499 |');
  });

  it('writes nothing when a figure fails to render or an id is unsafe', async () => {
    // an expression Vega cannot parse: the failure shows only while rendering
    const broken = {
      data: { values: [{ a: 1 }] },
      transform: [{ calculate: 'datum.a +* 2', as: 'b' }],
      mark: 'point',
      encoding: { x: { field: 'b', type: 'quantitative' } },
    } as TopLevelSpec;
    const failed = join(scratch, 'failed');
    await expect(writeReport({ outDir: failed, title: 't', figures: [figures[0], { id: 'broken', title: 'broken', paperFigure: 'none', spec: broken }] })).rejects.toThrow(/figure 'broken' failed to render/);
    expect(existsSync(failed)).toBe(false);
    await expect(writeReport({ outDir: failed, title: 't', figures: [{ ...figures[0], id: '../escape' }] })).rejects.toThrow(/figures\[0\]\.id must match/);
    await expect(writeReport({ outDir: failed, title: 't', figures: [figures[0], figures[0]] })).rejects.toThrow(/used twice/);
    expect(existsSync(failed)).toBe(false);
  });
});

describe('formatNumber', () => {
  it('gives the shortest decimal that reads back as the same float32 or float64', () => {
    expect(formatNumber(Math.fround(0.1))).toBe('0.1');
    expect(formatNumber(Math.fround(1 / 3))).toBe('0.33333334');
    expect(formatNumber(1 / 3)).toBe('0.3333333333333333'); // float64 stays float64
    expect(formatNumber(Math.fround(1e-45))).toBe('1e-45'); // smallest float32 denormal
    expect(formatNumber(16777217)).toBe('16777217');
    expect(formatNumber(NaN)).toBe('NaN');
    expect(formatNumber(-Infinity)).toBe('-Infinity');
    for (const x of [Math.fround(Math.PI), Math.fround(-2.5e-7), Math.fround(123456.79)]) {
      expect(Math.fround(Number(formatNumber(x)))).toBe(x);
    }
  });
});
