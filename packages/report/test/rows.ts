// Input rows for the tests: artifact-table rows built from the shared Hugging Face fixtures
// (../shared/fixtures/hf: metrics computed by transformers + float64 numpy, attention maps from
// transformers itself) and small hand-made tables whose expected drawing is known by hand.
import { readFileSync } from 'node:fs';
import type { CaptionContext } from '../src/index.js';

export const FIXTURES = new URL('../../../../shared/fixtures/hf/', import.meta.url);

export interface FixtureMetrics {
  seq_len: number;
  num_layers: number;
  num_heads: number;
  sink_eps: number;
  num_sequences: number;
  sink_rate: number;
  alpha: number[][];
  alpha_per_sequence: number[][][];
  sink_rate_per_layer: number[];
  hidden_norms: { first: number[]; rest: number[]; ratio: number[] };
  matrix_entropy: { shannon: number[]; shannon_norm: number[]; renyi2: number[] };
}

export function fixtureMetrics(fixture: string): FixtureMetrics {
  return JSON.parse(readFileSync(new URL(`${fixture}/expected_metrics.json`, FIXTURES), 'utf8')) as FixtureMetrics;
}

/** F32 tensors of a safetensors file (8-byte little-endian header length, JSON header, raw data). */
export function readF32Tensor(fixture: string, name: string): { shape: number[]; data: Float32Array } {
  const bytes = readFileSync(new URL(`${fixture}/expected.safetensors`, FIXTURES));
  const headerLength = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.toString('utf8', 8, 8 + headerLength)) as Record<
    string,
    { dtype: string; shape: number[]; data_offsets: [number, number] }
  >;
  const entry = header[name];
  if (entry?.dtype !== 'F32') throw new Error(`${fixture}: no F32 tensor ${name}`);
  const [begin, end] = entry.data_offsets;
  const start = 8 + headerLength + begin;
  const copy = bytes.subarray(start, 8 + headerLength + end);
  return { shape: entry.shape, data: new Float32Array(copy.buffer.slice(copy.byteOffset, copy.byteOffset + copy.byteLength)) };
}

export const CAPTION: CaptionContext = {
  models: 'gpt2',
  dataset: 'fixture ids (random)',
  seqLen: 17,
  eps: 0.3,
  bosPolicy: 'prepend BOS',
};

/**
 * `layers` rows of a fixture. entropy_bound is ln T, the maximum entropy of T eigenvalues (a valid
 * bound: K = X Xᵀ is T × T), so its normalised value is exactly 1.
 */
export function layersRows(fixture: string): Record<string, number | string>[] {
  const m = fixtureMetrics(fixture);
  return m.hidden_norms.ratio.map((ratio, i) => ({
    model: fixture,
    hidden_index: i,
    layer: i - 1,
    sink_rate: i === 0 ? NaN : m.sink_rate_per_layer[i - 1],
    first_token_norm: m.hidden_norms.first[i],
    other_tokens_mean_norm: m.hidden_norms.rest[i],
    norm_ratio: ratio,
    top_activation: NaN,
    median_activation: NaN,
    entropy: m.matrix_entropy.shannon[i],
    entropy_normalized: m.matrix_entropy.shannon_norm[i],
    renyi2: m.matrix_entropy.renyi2[i],
    entropy_bound: Math.log(m.seq_len),
    entropy_bound_alpha0: Math.log(m.seq_len),
    mean_cosine: NaN,
    seq_len: m.seq_len,
  }));
}

/** `heads` rows: mean alpha_1 per (layer, head) and the per-head Sink_1 rate over sequences. */
export function headsRows(fixture: string): Record<string, number | string>[] {
  const m = fixtureMetrics(fixture);
  return m.alpha.flatMap((heads, layer) =>
    heads.map((alpha, head) => ({
      model: fixture,
      layer,
      head,
      mean_alpha1: alpha,
      sink_rate: m.alpha_per_sequence.filter((perSeq) => perSeq[layer][head] > m.sink_eps).length / m.alpha_per_sequence.length,
    })),
  );
}

/** `pattern` rows of attentions.{layer}[sequence, head] (all T × T cells, upper triangle included). */
export function patternRows(fixture: string, layer: number, head: number, sequence: number): Record<string, number | string>[] {
  const { shape, data } = readF32Tensor(fixture, `attentions.${layer}`);
  const [, heads, t] = shape;
  const rows = [];
  for (let q = 0; q < t; q++) {
    for (let k = 0; k < t; k++) {
      rows.push({ model: fixture, layer, head, sequence, query: q, key: k, weight: data[((sequence * heads + head) * t + q) * t + k] });
    }
  }
  return rows;
}

/** `norms` rows: hidden-state norms of the fixture (head -1) and hand-made key/value norms for 2 heads. */
export function normsRows(fixture: string): Record<string, number | string>[] {
  const m = fixtureMetrics(fixture);
  const hidden = m.hidden_norms.first.map((first, i) => ({
    model: fixture,
    layer: i,
    kind: 'hidden',
    head: -1,
    first_token_norm: first,
    other_tokens_mean_norm: m.hidden_norms.rest[i],
  }));
  const kv = ['key', 'value'].flatMap((kind) =>
    [0, 1, 2].flatMap((layer) =>
      [0, 1].map((head) => ({
        model: fixture,
        layer,
        kind,
        head,
        // head 0 and head 1 average to (1 + layer) for the first token and 4 for the others
        first_token_norm: 1 + layer + (head === 0 ? -0.5 : 0.5),
        other_tokens_mean_norm: head === 0 ? 3 : 5,
      })),
    ),
  );
  return [...hidden, ...kv];
}

/** `qk` rows for a 5-token map: cos = 1 on the first key, -1 on the diagonal otherwise, 0 elsewhere. */
export function qkRows(): Record<string, number | string>[] {
  const rows = [];
  for (let q = 0; q < 5; q++) {
    for (let k = 0; k < 5; k++) {
      const cos = k === 0 ? 1 : k === q ? -1 : 0;
      rows.push({ model: 'gpt2', layer: 2, head: 1, query: q, key: k, dot: cos * (q + 1), cos, norm_product: q + 1 });
    }
  }
  return rows;
}

/** `sink_sweep` rows: 2 models × 3 eps × 3 T. */
export function sinkSweepRows(): Record<string, number | string>[] {
  const rows = [];
  for (const model of ['gpt2', 'llama']) {
    for (const eps of [0.1, 0.3, 0.5]) {
      for (const seqLen of [64, 128, 256]) {
        rows.push({ model, eps: Math.fround(eps), seq_len: seqLen, sink_rate: Math.fround((1 - eps) * (seqLen / 256) * (model === 'gpt2' ? 1 : 0.5)) });
      }
    }
  }
  return rows;
}

/** `massive` rows of 4 hidden states × 3 ranks; massive (|a| > 100) from hidden_index 2 on. */
export function massiveRows(): Record<string, number | string | boolean>[] {
  const top = [
    [4, 3, 2],
    [8, 6, 5],
    [2000, 900, 40],
    [2500, 1000, 60],
  ];
  const medians = [0.5, 0.8, 1, 1.2];
  return top.flatMap((values, hidden_index) =>
    values.map((abs, rank) => ({
      model: 'gpt2',
      hidden_index,
      rank,
      value: rank === 1 ? -abs : abs,
      abs_value: abs,
      token: 0,
      dim: 10 + rank,
      median_abs: medians[hidden_index],
      over_100: abs > 100,
      over_1000x_median: abs > 1000 * medians[hidden_index],
    })),
  );
}

/** `ablation` rows: baseline, one targeted and one control ablation over hidden_index 0..3. */
export function ablationRows(): Record<string, number | string>[] {
  const series = [
    { intervention: 'none', role: 'baseline', ratio: 40, sink: 0.8, loss: 3 },
    { intervention: 'zero-first-value', role: 'targeted', ratio: 1.2, sink: 0.1, loss: 3.5 },
    { intervention: 'zero-random-value', role: 'control', ratio: 38, sink: 0.75, loss: 3.05 },
  ];
  return series.flatMap((s) =>
    [0, 1, 2, 3].map((hidden_index) => ({
      model: 'gpt2',
      intervention: s.intervention,
      role: s.role,
      hidden_index,
      sink_rate: hidden_index === 0 ? NaN : s.sink,
      norm_ratio: hidden_index === 0 ? 1 : s.ratio,
      entropy_normalized: 0.9 - 0.1 * hidden_index,
      entropy_bound: Math.log(17),
      mean_cosine: 0.1,
      loss: s.loss,
      perplexity: Math.exp(s.loss),
    })),
  );
}

/** `training` rows: model-level (layer -1) and 3 layers at 5 steps. */
export function trainingRows(): Record<string, number | string>[] {
  const rows = [];
  for (const step of [0, 100, 200, 400, 800]) {
    const progress = step / 800;
    rows.push({ run: 'tiny-gpt2', step, loss: 6 - 3 * progress, sink_rate: 0.9 * progress, layer: -1, layer_sink_rate: NaN, norm_ratio: NaN, entropy_normalized: NaN });
    for (const layer of [0, 1, 2]) {
      rows.push({ run: 'tiny-gpt2', step, loss: NaN, sink_rate: NaN, layer, layer_sink_rate: 0.9 * progress, norm_ratio: 1 + 10 * progress * layer, entropy_normalized: 0.9 - 0.2 * progress });
    }
  }
  return rows;
}

/**
 * `sink_k` rows of a fixture, from the attention maps `transformers` computed: alpha_k = the mean
 * over the queries that see key k of A[t, k] (Gu et al. 2025 sec. 3.2), Sink_k = the share of
 * (sequence, layer, head) with alpha_k > eps, for k = 1..10.
 */
export function sinkKRows(fixture: string, eps = 0.3): Record<string, number | string>[] {
  const m = fixtureMetrics(fixture);
  const T = m.seq_len;
  const maps = Array.from({ length: m.num_layers }, (_, l) => readF32Tensor(fixture, `attentions.${l}`).data); // [S, H, T, T]
  return Array.from({ length: 10 }, (_, i) => {
    const k0 = i; // k = i + 1, 0-based key k0
    let over = 0;
    let sum = 0;
    let count = 0;
    for (const map of maps) {
      for (let s = 0; s < m.num_sequences; s++) {
        for (let h = 0; h < m.num_heads; h++) {
          let col = 0;
          for (let t = k0; t < T; t++) col += map[((s * m.num_heads + h) * T + t) * T + k0];
          const alpha = col / (T - k0);
          sum += alpha;
          count += 1;
          if (alpha > eps) over += 1;
        }
      }
    }
    return { model: fixture, k: i + 1, sink_rate: over / count, mean_alpha: sum / count };
  });
}

/** `sink_params` rows: two families, sizes known by hand. */
export function sinkParamsRows(): Record<string, number | string>[] {
  return [
    { model: 'gpt2-small', family: 'GPT-2', parameters: 124_439_808, sink_rate: 0.25 },
    { model: 'gpt2-medium', family: 'GPT-2', parameters: 354_823_168, sink_rate: 0.5 },
    { model: 'gpt2-large', family: 'GPT-2', parameters: 774_030_080, sink_rate: 0.75 },
    { model: 'pythia-160m', family: 'GPT-NeoX/Pythia', parameters: 162_322_944, sink_rate: 0.125 },
    { model: 'pythia-1b', family: 'GPT-NeoX/Pythia', parameters: 1_011_781_632, sink_rate: 1 },
  ];
}

/** `dataset_sinks` rows: 2 models x 3 inputs (Gu et al. Table 1's three kinds of data). */
export function datasetSinksRows(): Record<string, number | string>[] {
  const rates: Record<string, number[]> = { gpt2: [0.5, 0.25, 1], llama: [0.75, 0.125, 0.5] };
  return Object.entries(rates).flatMap(([model, r]) =>
    ['natural text', 'random tokens', 'repeated token'].map((dataset, i) => ({ model, dataset, sink_rate: r[i] })),
  );
}

/** `ablation_effects` rows: a targeted run, its dose points at 0, 0.5, 1 (Sink_1 measured), and a skipped ablation. */
export function doseRows(): Record<string, number | string>[] {
  const base = { model: 'gpt2', window: 2 };
  const effects = (s: number) => ({
    norm_ratio_delta_mean: -40 * s,
    norm_ratio_delta_std: 2 * s,
    sink_rate_delta_mean: -0.8 * s * s,
    sink_rate_delta_std: 0.1 * s,
    entropy_delta_mean: 0.4 * s,
    entropy_delta_std: 0.05 * s,
    loss_delta_mean: 0.5 * s,
    loss_delta_std: 0.2 * s,
  });
  return [
    { ...base, ablation: 'zero hook_mlp_out L=auto', intervention: 'zero hook_mlp_out L=auto', role: 'targeted', scale: 1, ...effects(1) },
    ...[0, 0.5, 1].map((scale) => ({ ...base, ablation: 'zero hook_mlp_out L=auto', intervention: scale === 0 ? 'baseline' : `s${scale}`, role: 'dose', scale, ...effects(scale) })),
    { ...base, ablation: 'rescale', intervention: '', role: 'skipped', scale: NaN, window: -1, ...Object.fromEntries(Object.keys(effects(0)).map((k) => [k, NaN])) },
  ];
}

// ---- issue 16: rows of the new tables (hand-made: values chosen so the checks can name them) ----

/** `layers` rows with the v2 columns: a 4-block model whose BOS norm jumps at hidden state 2. */
export function layersV2Rows(model = 'gpt2', blocks = 4): Record<string, number | string | boolean>[] {
  return Array.from({ length: blocks + 1 }, (_, i) => ({
    model,
    hidden_index: i,
    layer: i - 1,
    sink_rate: i === 0 ? NaN : 0.2 * i,
    first_token_norm: i < 2 ? 5 : 500,
    other_tokens_mean_norm: 5,
    norm_ratio: i < 2 ? 1 : 100,
    top_activation: 10,
    median_activation: 0.5,
    entropy: 2,
    entropy_normalized: [0.9, 0.85, 0.4, 0.6, 0.8][i] ?? 0.8,
    renyi2: 1.5,
    entropy_bound: 2.5,
    entropy_bound_alpha0: 2.7,
    mean_cosine: 0.1,
    seq_len: 17,
    relative_depth: i / blocks,
    transition: i === 2,
    phase: i < 2 ? 'mix' : i < 4 ? 'compress' : 'refine',
    p1: 0.3 + 0.1 * i,
    p1_lower: 0.1 + 0.1 * i,
    dominance: 1,
    dominance_lower: 0.5,
    alignment: 0.2,
    c: 0.3,
    entropy_upper: 2.6,
    entropy_rank_normalized: 0.7,
    entropy_upper_rank_normalized: i === 0 ? NaN : 0.9,
    mixing_score: i === 0 ? NaN : 0.5,
    identity_score: i === 0 ? NaN : 0.1,
    prev_token_score: i === 0 ? NaN : 0.2,
    bos_score: i === 0 ? NaN : 0.6,
    logit_lens_loss: 4 - 0.5 * i,
    logit_lens_perplexity: Math.exp(4 - 0.5 * i),
  }));
}

/** `entropy_sequences` rows: `sequences` sequences per hidden state. */
export function entropySequenceRows(model = 'gpt2', blocks = 4, sequences = 25): Record<string, number | string>[] {
  return Array.from({ length: (blocks + 1) * sequences }, (_, r) => {
    const i = Math.floor(r / sequences);
    const s = r % sequences;
    return { model, hidden_index: i, sequence: s, entropy: 2, entropy_normalized: 0.5 + 0.01 * s, rank: 17, p1: 0.4 + 0.01 * s, p1_lower: 0.2 + 0.01 * s, entropy_upper: 2.5, entropy_rank_normalized: 0.6, entropy_upper_rank_normalized: s % 5 === 0 ? NaN : 0.8 };
  });
}

export function metricsSequenceRows(model = 'gpt2', blocks = 4, sequences = 25): Record<string, number | string>[] {
  return Array.from({ length: (blocks + 1) * sequences }, (_, r) => {
    const i = Math.floor(r / sequences);
    const s = r % sequences;
    return { model, hidden_index: i, sequence: s, first_token_norm: 5 + s, other_tokens_mean_norm: 5, sink_rate: i === 0 ? NaN : (s % 4) / 4 };
  });
}

export function dynamicsRows(): Record<string, number | string>[] {
  return [1000, 2000, 4000].flatMap((step, k) =>
    Array.from({ length: 5 }, (_, i) => ({ series: 'pythia', step, model: `pythia@step${step}`, hidden_index: i, relative_depth: i / 4, entropy_normalized: 0.9 - 0.1 * k * (i > 0 ? 1 : 0), sink_rate: i === 0 ? NaN : 0.3 * k, log_norm_ratio: k * i * 0.5 })),
  );
}
