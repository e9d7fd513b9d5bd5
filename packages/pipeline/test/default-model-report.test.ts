// The shipped pipelines on the embedded default model, as `npm start` and `nx run bos-ablation:report`
// run them: the report page a researcher opens (in headless Chromium: no Markdown left in what it
// shows, the per-layer table equal to the `layers` artifact read back with apache-arrow), the ablation
// that removes the first token's massive activation, the valley and the sink, and the stored views
// checked against independent captures of the model.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ArtifactStore } from '@sinkscope/artifacts';
import { loadExtractionModel } from '@sinkscope/model-io';
import { tableFromIPC, type Table } from 'apache-arrow';
import { chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { skipUnlessCi } from '../../../tools/test-requirements.js';
import { CHROMIUM_ARGS, findOrInstallChromium, type ChromiumLookup } from '../../report/test/chromium.js';
import { linePoints, markGroups } from '../../report/test/svg-inspect.js';
import { modelPlan, openContext, REPO_ROOT, runPipeline, type StepReceipt } from '../src/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-default-report-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const cacheRoot = join(tmp, 'cache');
const printed: string[] = [];
const options = () => ({ store: new ArtifactStore({ root: cacheRoot, warn: () => {} }), reportsRoot: join(tmp, 'reports'), runsRoot: join(tmp, 'runs'), log: () => {}, print: (t: string) => printed.push(t) });
const spec = (name: string) => join(REPO_ROOT, 'pipelines', name, 'pipeline.yaml');

/** An artifact as the store holds it, read with apache-arrow alone (not through the store's or the report's code). */
function readArtifact(kind: string, key: string): Table {
  return tableFromIPC(readFileSync(join(cacheRoot, kind, key.slice(0, 2), `${key}.arrow`)));
}
const rowsOf = (t: Table) => t.toArray().map((r) => (r as { toJSON(): Record<string, unknown> }).toJSON());
const receiptKey = (receipts: StepReceipt[], step: string, kind: string) => receipts.find((r) => r.step === step)!.artifacts.find((a) => a.kind === kind)!.key;

let valley: StepReceipt[];
let ablation: StepReceipt[];
let ablationPrinted: string;
beforeAll(async () => {
  valley = await runPipeline(spec('sink-valley'), 'report', options());
  printed.length = 0;
  // the same model and dataset: extract, metrics and entropy are hits
  ablation = await runPipeline(spec('bos-ablation'), 'report', options());
  ablationPrinted = printed.join('');
}, 300_000);

/** Over the sequences of a captured [S, T, d] hidden state: the mean first-token norm and the mean of each sequence's mean other-token norm. */
function meanNorms(x: { shape: readonly number[]; data: Float32Array }): { first: number; others: number } {
  const [S, T, d] = x.shape;
  let first = 0;
  let others = 0;
  for (let s = 0; s < S; s++) {
    const norm = (t: number) => Math.hypot(...x.data.subarray((s * T + t) * d, (s * T + t + 1) * d));
    first += norm(0);
    let rest = 0;
    for (let t = 1; t < T; t++) rest += norm(t);
    others += rest / (T - 1);
  }
  return { first: first / S, others: others / S };
}

/** The few DOM members the page functions use (the package compiles without the DOM lib). */
interface Cell {
  textContent: string;
}
interface Element {
  querySelectorAll(selector: string): ArrayLike<Element & Cell>;
  getAttribute(name: string): string | null;
  hasAttribute(name: string): boolean;
}
interface PageGlobals {
  document: { body: { innerText: string }; querySelectorAll(selector: string): ArrayLike<Element & Cell> };
}

describe("the default model: bos-ablation removes the first token's massive activation, the valley and the sink", () => {
  /** The ablation rows of one intervention, by hidden state. */
  const rowsFor = (intervention: string) => {
    const ablate = ablation.find((r) => r.step === 'ablate')!;
    const rows = ablate.artifacts.filter((a) => a.kind === 'ablation').flatMap((a) => rowsOf(readArtifact('ablation', a.key)));
    return rows.filter((r) => r.model === 'default' && r.intervention === intervention).sort((a, b) => (a.hidden_index as number) - (b.hidden_index as number));
  };

  it('finds the peak where block 0 writes it and says so', () => {
    const ablate = ablation.find((r) => r.step === 'ablate')!;
    const effects = readArtifact('ablation_effects', ablate.artifacts.find((a) => a.kind === 'ablation_effects')!.key);
    expect(effects.schema.metadata.get('sinkscope.massive_found')).toBe('true');
    expect(ablationPrinted).toContain('it forms at hidden state 1, the output of block 0 (the largest rise of the norm ratio)');
    expect(ablationPrinted).toContain('- zero hook_mlp_out L=auto: block 0 (auto), where the massive activation forms (hidden state 1, the largest rise of the first-token norm ratio).');
    expect(ablationPrinted).toMatch(/\| targeted \| zero hook_mlp_out L=auto \| 1 \| /);
  });

  it("zeroing block 0's MLP output at the first token: the ratio collapses, the valley's entropy rises, block 2's sink goes; the controls do neither", () => {
    const base = rowsFor('baseline');
    const zero = rowsFor('zero hook_mlp_out L=auto');
    const position = rowsFor('zero hook_mlp_out L=auto [control: position 17]');
    const layer = rowsFor('zero hook_mlp_out L=auto [control: layer 2]');
    for (const rows of [base, zero, position, layer]) expect(rows.map((r) => r.hidden_index)).toEqual([0, 1, 2, 3]);
    const at = (rows: typeof base, h: number, field: string) => rows[h][field] as number;
    // the model card's numbers: ratio 10.45 -> 0.09 at h1, entropy 0.362 -> 0.557, block 2's Sink_1 93 -> 6 %
    expect(at(base, 1, 'norm_ratio')).toBeGreaterThan(10);
    expect(at(zero, 1, 'norm_ratio')).toBeLessThan(0.1);
    expect(at(base, 1, 'entropy_normalized')).toBeCloseTo(0.362, 3);
    expect(at(zero, 1, 'entropy_normalized') - at(base, 1, 'entropy_normalized')).toBeCloseTo(0.195, 3);
    expect(at(base, 3, 'sink_rate')).toBeCloseTo(0.93, 6);
    expect(at(zero, 3, 'sink_rate')).toBeCloseTo(0.06, 6);
    // the embeddings are upstream of every ablation
    for (const rows of [zero, position, layer]) expect(at(rows, 0, 'entropy_normalized')).toBe(at(base, 0, 'entropy_normalized'));
    // controls: the same zeroing at position 17, and at block 2 (read at h3)
    expect(Math.abs(at(position, 1, 'entropy_normalized') - at(base, 1, 'entropy_normalized'))).toBeLessThan(0.005);
    expect(at(position, 3, 'sink_rate')).toBe(at(base, 3, 'sink_rate'));
    expect(Math.abs(at(layer, 3, 'entropy_normalized') - at(base, 3, 'entropy_normalized'))).toBeLessThan(0.001);
    expect(at(layer, 3, 'sink_rate')).toBe(at(base, 3, 'sink_rate'));
  });

  it('the targeted run equals an independent capture of the model with the same intervention', async () => {
    const ctx = openContext(spec('bos-ablation'), options());
    const plan = await modelPlan(ctx, 0);
    const model = await loadExtractionModel(plan.model.dir, { engine: 'onnx' });
    try {
      const out = await model.run(plan.sequences, { capture: ['blocks.0.hook_resid_post'], interventions: [{ kind: 'zero', hook: 'blocks.0.hook_mlp_out', positions: [0] }] });
      // the ablation table's ratio of means (packages/ablation summary.ts): mean_s ||h_0|| / mean_s mean_t>0 ||h_t||, at h1
      const { first, others } = meanNorms(out.get('blocks.0.hook_resid_post')!);
      expect(rowsFor('zero hook_mlp_out L=auto')[1].norm_ratio as number).toBeCloseTo(first / others, 5);
    } finally {
      model.dispose();
    }
  });

  it('the report draws the ablation figures', () => {
    const html = readFileSync(join(tmp, 'reports', 'bos-ablation', 'index.html'), 'utf8');
    expect(html).toContain('id="figure-ablation"');
    expect(html).not.toContain('Nothing to ablate');
  });
});

describe('the default model: stored views against independent captures', () => {
  it('the Sink_k figure of the report: one line through the rates of the sink_k artifact, k = 1..10', () => {
    const sinkK = rowsOf(readArtifact('sink_k', receiptKey(valley, 'metrics', 'sink_k'))).sort((a, b) => (a.k as number) - (b.k as number));
    expect(sinkK.map((r) => r.k)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    const svg = readFileSync(join(tmp, 'reports', 'sink-valley', 'figures', 'sink-k.svg'), 'utf8');
    const lines = markGroups(svg, 'line').flat();
    expect(lines).toHaveLength(1);
    expect(markGroups(svg, 'symbol').flat()).toHaveLength(10);
    // the plot is 260 x 150: x = 260 (k - 1) / 9, y = 150 (1 - Sink_k)
    const points = linePoints(lines[0].d);
    expect(points).toHaveLength(10);
    points.forEach(([x, y], i) => {
      expect(x, `k = ${i + 1}`).toBeCloseTo((260 * i) / 9, 2);
      expect(y, `k = ${i + 1}`).toBeCloseTo(150 * (1 - (sinkK[i].sink_rate as number)), 2);
    });
    // a real sink on the first token, none after it (the default model's Sink_1 is 46.5 %)
    expect(sinkK[0].sink_rate as number).toBeCloseTo(0.465, 6);
    expect(sinkK[1].sink_rate as number).toBeLessThan(0.05);
  });

  it('the last hidden state before the final norm: the norms row equals the captured residual', async () => {
    const ctx = openContext(spec('sink-valley'), options());
    const plan = await modelPlan(ctx, 0);
    const model = await loadExtractionModel(plan.model.dir, { engine: 'onnx' });
    try {
      const L = plan.model.arch.nLayers;
      const out = await model.run(plan.sequences, { capture: [`blocks.${L - 1}.hook_resid_post`] });
      const { first, others } = meanNorms(out.get(`blocks.${L - 1}.hook_resid_post`)!);
      const norms = rowsOf(readArtifact('norms', receiptKey(valley, 'metrics', 'norms')));
      const pre = norms.find((r) => r.kind === 'hidden_pre_norm')!;
      expect(pre.layer).toBe(L);
      expect(pre.first_token_norm as number).toBeCloseTo(first, 3);
      expect(pre.other_tokens_mean_norm as number).toBeCloseTo(others, 3);
      // and it is not the final norm's output, which the hidden row at L holds
      const post = norms.find((r) => r.kind === 'hidden' && r.layer === L)!;
      expect(Math.abs((post.first_token_norm as number) - (pre.first_token_norm as number))).toBeGreaterThan(0.1);
    } finally {
      model.dispose();
    }
  });

  it('the q-k grid: the heads with the largest and smallest mean alpha_1, and q·k, cos, |q||k| of their maps', async () => {
    const heads = rowsOf(readArtifact('heads', receiptKey(valley, 'metrics', 'heads')));
    const ranked = [...heads].sort((a, b) => (b.mean_alpha1 as number) - (a.mean_alpha1 as number));
    // the two largest and two smallest, each head once (this model has two heads, block 1's and block 2's)
    const expected = [...new Set([...ranked.slice(0, 2), ...ranked.slice(-2)])].map((h) => ({ layer: h.layer, head: h.head }));
    expect(expected).toEqual([
      { layer: 2, head: 0 },
      { layer: 1, head: 0 },
    ]);
    const qkTable = readArtifact('qk', receiptKey(valley, 'metrics', 'qk'));
    expect(JSON.parse(qkTable.schema.metadata.get('sinkscope.qk_grid')!)).toEqual(expected);
    const qk = rowsOf(qkTable);
    const ctx = openContext(spec('sink-valley'), options());
    const plan = await modelPlan(ctx, 0);
    const model = await loadExtractionModel(plan.model.dir, { engine: 'onnx' });
    try {
      const { layer, head } = expected[0] as { layer: number; head: number };
      const out = await model.run([plan.sequences[0]], { capture: [`blocks.${layer}.attn.hook_q`, `blocks.${layer}.attn.hook_k`] });
      const q = out.get(`blocks.${layer}.attn.hook_q`)!; // [1, T, H, hd]
      const k = out.get(`blocks.${layer}.attn.hook_k`)!;
      const [, T, H, hd] = q.shape;
      const vec = (a: typeof q, t: number) => Array.from(a.data.subarray((t * H + head) * hd, (t * H + head + 1) * hd));
      for (const [query, key] of [
        [0, 0],
        [40, 0],
        [63, 17],
      ]) {
        const qv = vec(q, query);
        const kv = vec(k, key);
        const dot = qv.reduce((s, v, i) => s + v * kv[i], 0);
        const row = qk.find((r) => r.layer === layer && r.head === head && r.query === query && r.key === key)!;
        expect(row.dot as number).toBeCloseTo(dot, 2);
        expect(row.norm_product as number).toBeCloseTo(Math.hypot(...qv) * Math.hypot(...kv), 2);
        expect(row.cos as number).toBeCloseTo(dot / (Math.hypot(...qv) * Math.hypot(...kv)), 5);
      }
      expect(T).toBe(64);
    } finally {
      model.dispose();
    }
  });
});

describe('the sink-valley report page in headless Chromium', () => {
  let lookup: ChromiumLookup;
  beforeAll(() => {
    lookup = findOrInstallChromium();
  }, 330_000);

  it('shows no Markdown, lists its figures, and its per-layer table equals the layers artifact', async (ctx) => {
    if ('unavailable' in lookup) {
      skipUnlessCi('Chromium (Debian package chromium, for the report browser test)', lookup.unavailable);
      ctx.skip();
      return;
    }
    const browser = await chromium.launch({ executablePath: lookup.path, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
      const problems: string[] = [];
      page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
      page.on('request', (request) => {
        if (!/^(file|data|blob):/.test(request.url())) problems.push(`outside request: ${request.url()}`);
      });
      for (const name of ['sink-valley', 'bos-ablation']) {
        await page.goto(pathToFileURL(join(tmp, 'reports', name, 'index.html')).href);
        await page.waitForFunction(() => [...(Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('[data-figure-id]')) as Element[])].every((c) => c.hasAttribute('data-rendered') || c.hasAttribute('data-error')), null, { timeout: 60_000 });
        const text = await page.evaluate(() => (globalThis as unknown as PageGlobals).document.body.innerText);
        expect(text, name).not.toContain('|---');
        expect(text.split('\n').filter((line) => /^\s*#/.test(line)), name).toEqual([]);
        expect(await page.evaluate(() => Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('[data-error]')).length), name).toBe(0);
      }
      await page.goto(pathToFileURL(join(tmp, 'reports', 'sink-valley', 'index.html')).href);
      // the figure index: every figure of the spec, its paper figure, a link to it
      const index = await page.evaluate(() => Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('table.figure-index tbody tr'), (tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
      expect(index.map((r) => r[2])).toEqual([
        'Queipo-de-Llano et al. 2025, Fig. 1',
        'Gu et al. 2025, Figs. 19-24',
        'Gu et al. 2025, Sec. 2 (an attention map with its sink column)',
        'Gu et al. 2025, Fig. 2',
        'Gu et al. 2025, Fig. 2 and Figs. 15-18 (q-k decomposition)',
        'Gu et al. 2025, Figs. 15-18',
        'Gu et al. 2025, Figs. 3-4 (Sink₁ against T and ε)',
        'Gu et al. 2025, Fig. 5 (middle)',
        'Sun et al. 2024, Sec. 2 (top and median |activation| per layer)',
        'Queipo-de-Llano et al. 2025, Fig. 3',
        'Queipo-de-Llano et al. 2025, Fig. 2',
        'Queipo-de-Llano et al. 2025, Fig. 6',
        'Queipo-de-Llano et al. 2025, Fig. 7',
      ]);
      const links = await page.evaluate(() => Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('table.figure-index tbody tr a[href^="#"]'), (a) => a.getAttribute('href')));
      expect(links).toEqual(['profile', 'heads', 'pattern', 'norms', 'qk', 'qk-grid', 'sink-sweep', 'sink-k', 'massive', 'bound', 'entropy-overlay', 'phases', 'depth'].map((id) => `#figure-${id}`));
      // the per-layer table: an HTML table whose cells equal the artifact, float32 for float32
      const grid = await page.evaluate(() => {
        const section = Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('section.report-table')).find((s) => s.querySelectorAll('h3')[0].textContent === 'Per-layer table: default')!;
        return {
          head: Array.from(section.querySelectorAll('thead th'), (th) => th.textContent),
          body: Array.from(section.querySelectorAll('tbody tr'), (tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)),
        };
      });
      const layers = readArtifact('layers', receiptKey(valley, 'report', 'layers'));
      const fields = layers.schema.fields;
      expect(grid.head).toEqual(fields.map((f) => f.name));
      const rows = rowsOf(layers);
      expect(grid.body).toHaveLength(rows.length);
      grid.body.forEach((cells, r) => {
        fields.forEach((field, c) => {
          const value = rows[r][field.name];
          const cell = cells[c];
          if (typeof value === 'string' || typeof value === 'boolean') expect(cell).toBe(String(value));
          else if (Number.isNaN(value)) expect(cell).toBe('NaN');
          else if (String(field.type) === 'Float32') expect(Math.fround(Number(cell)), `${field.name} row ${r}`).toBe(value);
          else expect(Number(cell), `${field.name} row ${r}`).toBe(value);
        });
      });
      // the summary's table is a real table too, its cells the artifact rounded as shown
      const summary = await page.evaluate(() => Array.from((globalThis as unknown as PageGlobals).document.querySelectorAll('.summary table tbody tr'), (tr) => Array.from(tr.querySelectorAll('td'), (td) => td.textContent)));
      expect(summary.map((cells) => cells[3])).toEqual(rows.map((r) => (r.norm_ratio as number).toFixed(2)));
      const shot = join(tmp, 'sink-valley.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(problems).toEqual([]);
    } finally {
      await browser.close();
    }
  }, 120_000);
});
