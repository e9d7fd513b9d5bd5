// The SVGs of Gu et al.'s views and the dose-response: marks counted and placed against the numbers
// of the rows they draw.
import { describe, expect, it } from 'vitest';
import { datasetSinksFigure, doseResponseFigure, qkGridFigure, renderSvg, sinkKFigure, sinkParamsFigure } from '../src/index.js';
import type { TopLevelSpec } from '../src/index.js';
import { CAPTION, datasetSinksRows, doseRows, qkRows, sinkParamsRows } from './rows.js';
import { linePoints, markGroups, rectOrigin } from './svg-inspect.js';

async function svgOf(spec: TopLevelSpec): Promise<string> {
  const warnings: string[] = [];
  const svg = await renderSvg(spec, { onWarning: (m) => warnings.push(m) });
  expect(warnings).toEqual([]);
  return svg;
}

/** translate(x,y) of a symbol. */
function translation(attributes: Record<string, string>): [number, number] {
  const m = /translate\((-?[\d.e-]+),(-?[\d.e-]+)\)/.exec(attributes.transform);
  if (!m) throw new Error(`no translate in ${attributes.transform}`);
  return [Number(m[1]), Number(m[2])];
}

describe('Sink_k against k', () => {
  // two models, known rates: a decays from the first token, b keeps a sink on token 4
  const rates = { a: [1, 0.5, 0.25, 0, 0, 0, 0, 0, 0, 0], b: [0.75, 0, 0, 0.5, 0, 0, 0, 0, 0, 0] };
  const rows = Object.entries(rates).flatMap(([model, r]) => r.map((sink_rate, i) => ({ model, k: i + 1, sink_rate, mean_alpha: sink_rate / 2 })));

  it('one line per model through 10 points, at x = 260 (k - 1) / 9 and y = 150 (1 - Sink_k)', async () => {
    const svg = await svgOf(sinkKFigure(rows, CAPTION));
    const lines = markGroups(svg, 'line').flat();
    expect(lines).toHaveLength(2);
    lines.forEach((line, m) => {
      const r = Object.values(rates)[m];
      expect(linePoints(line.d).map(([x, y]) => [Number(x.toFixed(3)), y])).toEqual(r.map((rate, i) => [Number(((260 * i) / 9).toFixed(3)), 150 * (1 - rate)]));
    });
    expect(markGroups(svg, 'symbol').flat()).toHaveLength(20);
  });
});

describe('Sink_1 against parameters', () => {
  it('one line per family, a labelled point per model, log x over [1e8, 1e10] and y = 220 (1 - Sink_1)', async () => {
    const svg = await svgOf(sinkParamsFigure(sinkParamsRows(), CAPTION));
    expect(markGroups(svg, 'line').flat()).toHaveLength(2);
    const points = markGroups(svg, 'symbol').flat().map(translation);
    const texts = [...svg.matchAll(/<g class="mark-text role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/g)].flatMap((m) => [...m[1].matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((t) => t[1]));
    const rows = sinkParamsRows().sort((a, b) => (a.family as string).localeCompare(b.family as string) || (a.parameters as number) - (b.parameters as number));
    expect(texts).toEqual(rows.map((r) => r.model));
    expect(points).toHaveLength(5);
    // the points come in size order (the lines' order)
    const bySize = [...rows].sort((a, b) => (a.parameters as number) - (b.parameters as number));
    points.forEach(([x, y], i) => {
      expect(x).toBeCloseTo((360 * (Math.log10(bySize[i].parameters as number) - 8)) / 2, 2);
      expect(y).toBeCloseTo(220 * (1 - (bySize[i].sink_rate as number)), 6);
    });
  });
});

describe('the q-k grid', () => {
  it('three heatmaps per head, each with the causal cells of its map', async () => {
    const rows = [...qkRows(), ...qkRows().map((r) => ({ ...r, layer: 0, head: 3 })), ...qkRows().map((r) => ({ ...r, layer: 1, head: 0 }))];
    const svg = await svgOf(qkGridFigure(rows, [{ layer: 2, head: 1 }, { layer: 0, head: 3 }, { layer: 1, head: 0 }], CAPTION));
    expect(markGroups(svg, 'rect').map((cells) => cells.length)).toEqual(Array(9).fill(15));
  });
});

describe('Sink_1 by input data', () => {
  it('one bar per (model, dataset), its top at 150 (1 - Sink_1)', async () => {
    const svg = await svgOf(datasetSinksFigure(datasetSinksRows(), CAPTION));
    const bars = markGroups(svg, 'rect').flat();
    expect(bars).toHaveLength(6);
    expect(bars.map((b) => rectOrigin(b.d)[1]).sort((a, b) => a - b)).toEqual(datasetSinksRows().map((r) => 150 * (1 - (r.sink_rate as number))).sort((a, b) => a - b));
  });
});

describe('dose-response', () => {
  it('four panels of three points (strength 0, 0.5, 1) with a ± std rule each and a zero line', async () => {
    const svg = await svgOf(doseResponseFigure(doseRows(), CAPTION));
    expect(markGroups(svg, 'symbol').map((g) => g.length)).toEqual([3, 3, 3, 3]);
    expect(markGroups(svg, 'line').map((g) => g.length)).toEqual([1, 1, 1, 1]);
    const rules = markGroups(svg, 'rule', 'line').map((g) => g.length);
    expect(rules).toEqual([1, 3, 1, 3, 1, 3, 1, 3]);
    // x = 260 s on every panel
    for (const g of markGroups(svg, 'symbol')) expect(g.map((p) => translation(p)[0])).toEqual([0, 130, 260]);
  });
});
