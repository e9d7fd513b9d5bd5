// Rendering tests: the headless SVG holds the expected marks at the expected positions, and the
// PNG has the expected pixel size and visible content (text included).
import { Resvg } from '@resvg/resvg-js';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  attentionPatternFigure,
  headSinkHeatmapFigure,
  layerProfileFigure,
  massiveActivationsFigure,
  pngSize,
  renderPng,
  renderSvg,
  svgToPng,
} from '../src/index.js';
import type { TopLevelSpec } from '../src/index.js';
import { CAPTION, headsRows, layersRows, massiveRows, patternRows } from './rows.js';
import { linePoints, markGroups, rectOrigin, svgSize } from './svg-inspect.js';

async function svgOf(spec: TopLevelSpec): Promise<string> {
  const warnings: string[] = [];
  const svg = await renderSvg(spec, { onWarning: (m) => warnings.push(m) });
  expect(warnings).toEqual([]);
  return svg;
}

/** Decodes PNG bytes to RGBA by drawing them as an <image> with resvg (no PNG decoder needed). */
function decodePng(png: Buffer): { width: number; height: number; pixels: Buffer } {
  const { width, height } = pngSize(png);
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}"><image href="data:image/png;base64,${png.toString('base64')}" width="${width}" height="${height}"/></svg>`;
  const image = new Resvg(svg).render();
  return { width: image.width, height: image.height, pixels: image.pixels };
}

describe('head heatmap SVG', () => {
  it('has one rect per (layer, head) in each model panel: 2 × 3 × 4', async () => {
    const svg = await svgOf(headSinkHeatmapFigure([...headsRows('gpt2'), ...headsRows('qwen2')], { ...CAPTION, models: ['gpt2', 'qwen2'] }));
    expect(markGroups(svg, 'rect').map((items) => items.length)).toEqual([12, 12]);
  });
});

describe('attention pattern SVG', () => {
  let cells: Record<string, string>[];
  beforeAll(async () => {
    const svg = await svgOf(attentionPatternFigure(patternRows('gpt2', 0, 0, 0), CAPTION));
    const groups = markGroups(svg, 'rect');
    expect(groups).toHaveLength(1);
    cells = groups[0];
  });

  it('draws the causal triangle: T(T+1)/2 = 153 cells, query q has q + 1 of them', () => {
    expect(cells).toHaveLength(153);
    const step = 21; // floor(360 / 17)
    const perRow = new Map<number, number>();
    for (const cell of cells) {
      const [x, y] = rectOrigin(cell.d);
      expect(x).toBeLessThanOrEqual(y); // key <= query
      perRow.set(y / step, (perRow.get(y / step) ?? 0) + 1);
    }
    expect([...perRow.entries()].sort((a, b) => a[0] - b[0])).toEqual(Array.from({ length: 17 }, (_, q) => [q, q + 1]));
  });

  it('colours the weight-1 cell (query 0 attends only to key 0) with the top of viridis', () => {
    const corner = cells.find((cell) => /^M0,0h/.test(cell.d));
    expect(corner?.fill).toBe('rgb(253, 231, 37)'); // viridis(1) = #fde725
  });
});

describe('layer profile SVG', () => {
  // norm ratio 1, 10, 100, 1000 on a log axis; Sink_1 25 %, 50 %, 100 %; entropy bound ln T / ln T = 1
  const rows = [1, 10, 100, 1000].map((ratio, i) => ({
    ...layersRows('gpt2')[i],
    norm_ratio: ratio,
    sink_rate: [NaN, 0.25, 0.5, 1][i],
    entropy_normalized: [0.9, 0.8, 0.7, 0.6][i],
  }));
  let lines: Record<string, string>[];
  beforeAll(async () => {
    // each line series gets its own mark group: norm ratio, Sink_1, measured entropy, bound
    const groups = markGroups(await svgOf(layerProfileFigure(rows, CAPTION)), 'line');
    expect(groups.map((group) => group.length)).toEqual([1, 1, 1, 1]);
    lines = groups.flat();
  });

  it('spaces decades of the norm ratio equally (log axis)', () => {
    const points = linePoints(lines[0].d);
    expect(points.map(([x]) => x)).toEqual([0, 86.667, 173.333, 260]);
    const gaps = points.slice(1).map(([, y], i) => points[i][1] - y);
    for (const gap of gaps) expect(gap).toBeCloseTo(gaps[0], 2);
    expect(gaps[0]).toBeCloseTo(150 / 3, 2); // domain [1, 1000]: three decades over 150 px
  });

  it('places Sink_1 at 150 × (1 − rate) and leaves out the embeddings', () => {
    expect(linePoints(lines[1].d)).toEqual([
      [86.667, 112.5],
      [173.333, 75],
      [260, 0],
    ]);
  });

  it('draws the normalised bound at 1 and the entropy at 150 × (1 − H / ln T)', () => {
    const [measured, bound] = [lines[2], lines[3]];
    expect([measured['stroke-dasharray'], bound['stroke-dasharray']]).toEqual(['1,0', '5,3']);
    expect(linePoints(bound.d).map(([, y]) => y)).toEqual([0, 0, 0, 0]);
    expect(linePoints(measured.d).map(([, y]) => y)).toEqual([15, 30, 45, 60]);
  });
});

describe('massive activations SVG', () => {
  it('marks the emergence layer with one rule at hidden index 2 of 0..3', async () => {
    const svg = await svgOf(massiveActivationsFigure(massiveRows(), CAPTION, { emergenceHiddenIndex: 2 }));
    const rules = markGroups(svg, 'rule', 'line');
    expect(rules.map((group) => group.length)).toEqual([1, 1]); // |a| = 100 threshold, emergence
    expect(rules[1][0].transform).toBe('translate(173.33333333333331,0)'); // 2/3 of 260 px
    expect(markGroups(svg, 'line').flat()).toHaveLength(4); // top 1-3 and the median
  });
});

describe('PNG export', () => {
  const spec = headSinkHeatmapFigure(headsRows('gpt2'), CAPTION);

  it('has the SVG size times the scale, read from the IHDR chunk', async () => {
    const { width, height } = svgSize(await renderSvg(spec));
    expect(pngSize(await renderPng(spec, { scale: 2 }))).toEqual({ width: 2 * width, height: 2 * height });
    expect(pngSize(await renderPng(spec, { scale: 1 }))).toEqual({ width, height });
  });

  it('is not blank: many colours, and dark text pixels in the title band', async () => {
    const png = await renderPng(spec, { scale: 2 });
    const { width, height, pixels } = decodePng(png);
    const colours = new Set<number>();
    let nonWhite = 0;
    for (let i = 0; i < pixels.length; i += 4) {
      colours.add(pixels.readUInt32BE(i));
      if (pixels[i] < 250 || pixels[i + 1] < 250 || pixels[i + 2] < 250) nonWhite += 1;
    }
    expect(colours.size).toBeGreaterThan(50);
    expect(nonWhite / (width * height)).toBeGreaterThan(0.03);
    expect(nonWhite / (width * height)).toBeLessThan(0.8);
    // the title (bold, black, 14 px at scale 2) occupies the first ~40 rows: glyphs were drawn
    let darkInTitle = 0;
    for (let y = 0; y < 40; y++) {
      for (let x = 0; x < width; x++) {
        const i = 4 * (y * width + x);
        if (pixels[i] < 80 && pixels[i + 1] < 80 && pixels[i + 2] < 80) darkInTitle += 1;
      }
    }
    expect(darkInTitle).toBeGreaterThan(500);
  });

  it('rejects a bad scale', () => {
    expect(() => svgToPng('<svg xmlns="http://www.w3.org/2000/svg" width="2" height="2"/>', { scale: 0 })).toThrow(/options\.scale must be a number in \(0, 16\]/);
  });
});
