// Benchmark: time to build, render (SVG, PNG) and write the report's figures at realistic sizes
// (a 32-layer, 32-head model as in Llama-2-7B; a 128-token attention map; 3 models in the profile).
// Run: npx tsx packages/report/bench/report-bench.ts [repeats]
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '@sinkscope/datasets';
import * as report from '../src/index.js';
import type { CaptionContext, ReportFigure, TopLevelSpec } from '../src/index.js';

const repeats = Number(process.argv[2] ?? 3);
const L = 32;
const H = 32;
const T = 128;
const MODELS = ['llama-2-7b', 'mistral-7b', 'pythia-6.9b'];
const caption: CaptionContext = { models: MODELS, dataset: 'wikitext-103 (validation)', seqLen: T, eps: 0.3, bosPolicy: 'prepend BOS' };

// seeded, so every run draws the same figures
const rng = new SeededRandom(2463534242);
const random = () => rng.nextUnit();

const f32 = Math.fround;
const layers = MODELS.flatMap((model) =>
  Array.from({ length: L + 1 }, (_, i) => {
    const ratio = i < 2 ? 1 + random() : 40 + 20 * random();
    const entropy = Math.log(T) * (i < 2 ? 0.9 : 0.35 + 0.1 * random());
    return {
      model, hidden_index: i, layer: i - 1, sink_rate: i === 0 ? NaN : f32(i < 2 ? 0.1 : 0.7 + 0.3 * random()),
      first_token_norm: f32(ratio * 10), other_tokens_mean_norm: 10, norm_ratio: f32(ratio), top_activation: f32(ratio * 50),
      median_activation: 0.5, entropy: f32(entropy), entropy_normalized: f32(entropy / Math.log(T)), renyi2: f32(entropy * 0.8),
      entropy_bound: f32(entropy * 1.15), entropy_bound_alpha0: f32(entropy * 1.3), mean_cosine: f32(random()), seq_len: T,
    };
  }),
);
const heads = Array.from({ length: L * H }, (_, i) => ({
  model: MODELS[0], layer: Math.floor(i / H), head: i % H, mean_alpha1: f32(random()), sink_rate: f32(random()),
}));
const pattern: Record<string, string | number>[] = [];
for (let q = 0; q < T; q++) {
  const sink = 0.5 + 0.4 * random();
  for (let k = 0; k < T; k++) {
    pattern.push({ model: MODELS[0], layer: 10, head: 3, sequence: 0, query: q, key: k, weight: f32(k > q ? 0 : k === 0 ? (q === 0 ? 1 : sink) : (1 - sink) / q) });
  }
}
const norms = ['hidden', 'key', 'value'].flatMap((kind) =>
  Array.from({ length: kind === 'hidden' ? L + 1 : L }, (_, layer) =>
    (kind === 'hidden' ? [-1] : Array.from({ length: H }, (_, h) => h)).map((head) => ({
      model: MODELS[0], layer, kind, head, first_token_norm: f32(kind === 'hidden' && layer > 1 ? 500 : 5 + random()), other_tokens_mean_norm: f32(10 + random()),
    })),
  ).flat(),
);
const qk: Record<string, string | number>[] = [];
for (let q = 0; q < 64; q++) for (let k = 0; k < 64; k++) qk.push({ model: MODELS[0], layer: 10, head: 3, query: q, key: k, dot: 0, cos: f32(k === 0 ? 0.9 : 2 * random() - 1), norm_product: f32(10 + random()) });
const sweep = MODELS.flatMap((model) => [0.1, 0.3, 0.5, 0.7, 0.9].flatMap((eps) => [32, 64, 128, 256, 512, 1024].map((seq_len) => ({ model, eps: f32(eps), seq_len, sink_rate: f32(random()) }))));
const massive = Array.from({ length: L + 1 }, (_, i) => [0, 1, 2, 3, 4].map((rank) => ({
  model: MODELS[0], hidden_index: i, rank, value: f32((i > 2 ? 2000 : 10) / (rank + 1)), abs_value: f32((i > 2 ? 2000 : 10) / (rank + 1)), token: 0, dim: 1415 + rank, median_abs: 0.4, over_100: i > 2, over_1000x_median: i > 2,
}))).flat();
const ablation = [['none', 'baseline'], ['zero-first-value', 'targeted'], ['zero-random-value', 'control']].flatMap(([intervention, role]) =>
  Array.from({ length: L + 1 }, (_, i) => ({
    model: MODELS[0], intervention, role, hidden_index: i, sink_rate: i === 0 ? NaN : f32(role === 'targeted' ? 0.05 : 0.8), norm_ratio: f32(role === 'targeted' ? 1.3 : 45),
    entropy_normalized: f32(role === 'targeted' ? 0.8 : 0.4), entropy_bound: f32(Math.log(T) * 0.9), mean_cosine: 0.2, loss: role === 'targeted' ? 3.4 : 2.9, perplexity: Math.exp(role === 'targeted' ? 3.4 : 2.9),
  })),
);
const training = Array.from({ length: 200 }, (_, s) => s * 50).flatMap((step) => [-1, ...Array.from({ length: 12 }, (_, l) => l)].map((layer) => ({
  run: 'tiny-gpt2', step, loss: f32(6 * Math.exp(-step / 3000) + 2), sink_rate: f32(1 - Math.exp(-step / 2000)), layer, layer_sink_rate: f32(random()), norm_ratio: f32(1 + (layer + 1) * (1 - Math.exp(-step / 2000)) * 5), entropy_normalized: f32(0.5),
})));

const builders: Record<string, () => TopLevelSpec> = {
  'layer-profile (3 models × 33)': () => report.layerProfileFigure(layers, caption),
  'head heatmap (32 × 32)': () => report.headSinkHeatmapFigure(heads, caption),
  'attention pattern (T = 128)': () => report.attentionPatternFigure(pattern, caption),
  'norms + q-k (32 layers, 64 tokens)': () => report.firstTokenNormsFigure({ norms, qk }, caption),
  'sink sweep (3 × 5 eps × 6 T)': () => report.sinkSweepFigure(sweep, { ...caption, seqLen: [32, 1024], eps: [0.1, 0.9] }),
  'massive activations (33 × 5)': () => report.massiveActivationsFigure(massive, caption, { emergenceHiddenIndex: 3 }),
  'ablation (3 series × 33)': () => report.ablationFigure(ablation, caption),
  'training (200 steps × 13)': () => report.trainingFigure(training, caption),
};

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

const silent = () => {};
console.log(`@sinkscope/report benchmark: median of ${repeats} runs, ms (Node ${process.version})`);
console.log(['figure'.padEnd(36), 'spec', 'svg', 'png@2x', 'svg KiB', 'png KiB'].join('\t'));
const figures: ReportFigure[] = [];
for (const [name, build] of Object.entries(builders)) {
  const times = { spec: [] as number[], svg: [] as number[], png: [] as number[] };
  let sizes = { svg: 0, png: 0 };
  for (let r = 0; r < repeats; r++) {
    let t = performance.now();
    const spec = build();
    times.spec.push(performance.now() - t);
    t = performance.now();
    const svg = await report.renderSvg(spec, { onWarning: silent });
    times.svg.push(performance.now() - t);
    t = performance.now();
    const png = report.svgToPng(svg, { scale: 2 });
    times.png.push(performance.now() - t);
    sizes = { svg: svg.length / 1024, png: png.length / 1024 };
    if (r === 0) figures.push({ id: `figure-${figures.length + 1}`, title: name, paperFigure: 'benchmark', spec });
  }
  console.log([name.padEnd(36), ...[times.spec, times.svg, times.png].map((x) => median(x).toFixed(1)), sizes.svg.toFixed(0), sizes.png.toFixed(0)].join('\t'));
}

const outDir = mkdtempSync(join(tmpdir(), 'sinkscope-report-bench-'));
const writeTimes: number[] = [];
for (let r = 0; r < repeats; r++) {
  const t = performance.now();
  await report.writeReport({ outDir, title: 'benchmark report', metadata: { model: MODELS[0] }, figures, tables: [{ title: 'layers', rows: layers }], onWarning: silent });
  writeTimes.push(performance.now() - t);
}
console.log(`writeReport (8 figures, svg + png@2x + vl.json, 99-row table): ${median(writeTimes).toFixed(0)} ms; index.html ${(statSync(join(outDir, 'index.html')).size / 1024).toFixed(0)} KiB`);
rmSync(outDir, { recursive: true, force: true });
