// Spec tests: every builder's spec validates against the Vega-Lite JSON Schema, compiles without
// warnings, reads only fields its data has, captions the run, and carries the input numbers.
import { describe, expect, it } from 'vitest';
import {
  ablationFigure,
  attentionPatternFigure,
  compileToVega,
  firstTokenNormsFigure,
  headSinkHeatmapFigure,
  layerProfileFigure,
  massiveActivationsFigure,
  sinkSweepFigure,
  TOKEN_GROUP_COLORS,
  TOKEN_GROUP_LABELS,
  trainingFigure,
  vegaLiteSchemaErrors,
  sinkKFigure,
  sinkParamsFigure,
  qkGridFigure,
  datasetSinksFigure,
  doseResponseFigure,
  theorem1BoundFigure,
  entropyOverlayFigure,
  mixCompressRefineFigure,
  depthTasksFigure,
  checkpointDynamicsFigure,
  sequenceBands,
} from '../src/index.js';
import type { TopLevelSpec } from '../src/index.js';
import {
  ablationRows,
  CAPTION,
  fixtureMetrics,
  headsRows,
  layersRows,
  massiveRows,
  normsRows,
  patternRows,
  qkRows,
  sinkSweepRows,
  trainingRows,
  sinkKRows,
  sinkParamsRows,
  datasetSinksRows,
  doseRows,
  layersV2Rows,
  entropySequenceRows,
  metricsSequenceRows,
  dynamicsRows,
} from './rows.js';
import { missingFields } from './spec-fields.js';

type Json = Record<string, unknown>;
const json = (spec: TopLevelSpec) => spec as unknown as Json;
const dataset = (spec: TopLevelSpec, name: string) => (json(spec).datasets as Record<string, Json[]>)[name];

const builders: Record<string, () => TopLevelSpec> = {
  layerProfile: () => layerProfileFigure([...layersRows('gpt2'), ...layersRows('llama')], { ...CAPTION, models: ['gpt2', 'llama'] }),
  headHeatmap: () => headSinkHeatmapFigure([...headsRows('gpt2'), ...headsRows('qwen2')], { ...CAPTION, models: ['gpt2', 'qwen2'] }),
  attentionPattern: () => attentionPatternFigure(patternRows('gpt2', 0, 0, 0), CAPTION),
  firstTokenNorms: () => firstTokenNormsFigure({ norms: normsRows('gpt2'), qk: qkRows() }, CAPTION),
  sinkSweep: () => sinkSweepFigure(sinkSweepRows(), { ...CAPTION, models: ['gpt2', 'llama'], seqLen: [64, 128, 256], eps: [0.1, 0.3, 0.5] }),
  massiveActivations: () => massiveActivationsFigure(massiveRows(), CAPTION, { emergenceHiddenIndex: 2 }),
  ablation: () => ablationFigure(ablationRows(), CAPTION),
  training: () => trainingFigure(trainingRows(), CAPTION),
  sinkK: () => sinkKFigure([...sinkKRows('gpt2'), ...sinkKRows('llama')], { ...CAPTION, models: ['gpt2', 'llama'] }),
  sinkKByDataset: () =>
    sinkKFigure(
      ['random', 'repeated'].flatMap((dataset) => [...sinkKRows('gpt2'), ...sinkKRows('llama')].map((r) => ({ ...r, dataset }))),
      { ...CAPTION, models: ['gpt2', 'llama'] },
    ),
  sinkParams: () => sinkParamsFigure(sinkParamsRows(), { ...CAPTION, models: ['gpt2', 'pythia'] }),
  qkGrid: () => qkGridFigure([...qkRows(), ...qkRows().map((r) => ({ ...r, layer: 0, head: 3, dot: -(r.dot as number) }))], [{ layer: 2, head: 1, meanAlpha: 0.91 }, { layer: 0, head: 3, meanAlpha: 0.02 }], CAPTION),
  datasetSinks: () => datasetSinksFigure(datasetSinksRows(), { ...CAPTION, models: ['gpt2', 'llama'] }),
  doseResponse: () => doseResponseFigure(doseRows(), CAPTION),
  // issue 16
  layerProfileV2: () =>
    layerProfileFigure([...layersV2Rows('gpt2'), ...layersV2Rows('llama', 2)], { ...CAPTION, models: ['gpt2', 'llama'] }, {
      depthAxis: 'relative-depth',
      bands: sequenceBands([...metricsSequenceRows('gpt2'), ...metricsSequenceRows('llama', 2)], [...entropySequenceRows('gpt2'), ...entropySequenceRows('llama', 2)], 'iqr'),
      transition: true,
      absoluteNorms: true,
    }),
  theorem1Bound: () => theorem1BoundFigure(layersV2Rows(), entropySequenceRows(), CAPTION),
  entropyOverlay: () => entropyOverlayFigure(entropySequenceRows(), CAPTION, { sequences: 20, depthAxis: 'relative-depth', blocks: { gpt2: 4 } }),
  mixCompressRefine: () => mixCompressRefineFigure(layersV2Rows(), CAPTION, { depthAxis: 'relative-depth' }),
  massiveRelativeDepth: () =>
    massiveActivationsFigure([...massiveRows(), ...massiveRows().map((row) => ({ ...row, model: 'llama' }))], { ...CAPTION, models: ['gpt2', 'llama'] }, { depthAxis: 'relative-depth', blocks: { gpt2: 3, llama: 6 }, emergenceHiddenIndex: { gpt2: 2 } }),
  depthTasks: () =>
    depthTasksFigure(
      {
        logitLens: layersV2Rows().map((r) => ({ model: r.model, hidden_index: r.hidden_index, relative_depth: r.relative_depth, loss: r.logit_lens_loss, top1_accuracy: 0.3 })),
        multipleChoice: layersV2Rows().map((r) => ({ model: r.model, task: 'arc', hidden_index: r.hidden_index, relative_depth: r.relative_depth, accuracy: 0.25 + 0.1 * Number(r.hidden_index), accuracy_norm: 0.3, chance: 0.25 })),
        probes: (['mean', 'last'] as const).flatMap((pooling) => layersV2Rows().map((r) => ({ model: r.model, task: 'sst2', pooling, hidden_index: r.hidden_index, relative_depth: r.relative_depth, accuracy: 0.7, accuracy_std: 0.05, majority: 0.5 }))),
      },
      CAPTION,
    ),
  checkpointDynamics: () => checkpointDynamicsFigure(dynamicsRows(), CAPTION, [{ series: 'pythia', sink: 2000, massive: 2000, valley: null }]),
};

describe.each(Object.entries(builders))('%s figure', (_name, build) => {
  const spec = build();

  it('validates against the Vega-Lite JSON Schema', () => {
    expect(vegaLiteSchemaErrors(spec)).toEqual([]);
  });

  it('compiles to Vega without warnings', () => {
    const warnings: string[] = [];
    const vega = compileToVega(spec, (message) => warnings.push(message));
    expect(warnings).toEqual([]);
    expect(JSON.stringify(vega)).toContain('"marks"');
  });

  it('reads only fields present in its data', () => {
    expect(missingFields(json(spec))).toEqual([]);
  });

  it('captions model, dataset, T, eps and BOS policy', () => {
    const subtitle = (json(spec).title as { subtitle: string[] }).subtitle[0];
    expect(subtitle).toContain('gpt2');
    expect(subtitle).toContain('fixture ids (random)');
    expect(subtitle).toMatch(/T = \d/);
    expect(subtitle).toMatch(/ε = 0\.\d/);
    expect(subtitle).toContain('BOS: prepend BOS');
  });
});

describe('the checks themselves can fail', () => {
  it('schema validation rejects an unknown mark', () => {
    const bad = { ...json(builders.attentionPattern()), mark: { type: 'rectangle' } };
    expect(vegaLiteSchemaErrors(bad).length).toBeGreaterThan(0);
  });

  it('the field check reports a field missing from the dataset', () => {
    const spec = json(builders.attentionPattern());
    const bad = { ...spec, encoding: { ...(spec.encoding as Json), color: { field: 'weights', type: 'quantitative' } } };
    expect(missingFields(bad)).toEqual(["/: field 'weights' not in dataset 'pattern'"]);
  });
});

describe('sequenceBands', () => {
  it('mean +- population std, or the quartiles; Sink_1 and H / ln T cut to [0, 1]', () => {
    // hidden state 1: Sink_1 of the sequences 1, 1, 1, 0 -> mean 0.75, std sqrt(3)/4 = 0.433: 1.18 cut to 1
    const metrics = [1, 1, 1, 0].map((sink_rate, sequence) => ({ model: 'm', hidden_index: 1, sequence, first_token_norm: 2 + sequence, other_tokens_mean_norm: 1, sink_rate }));
    const entropy = [0.1, 0.1, 0.1, 0.9].map((entropy_normalized, sequence) => ({ model: 'm', hidden_index: 1, sequence, entropy_normalized }));
    const [std] = sequenceBands(metrics, entropy, 'std');
    expect(std.sink_rate_lo).toBeCloseTo(0.75 - Math.sqrt(3) / 4, 12);
    expect(std.sink_rate_hi).toBe(1);
    expect(std.entropy_normalized_lo).toBe(0); // 0.3 - 0.346
    expect(std.entropy_normalized_hi).toBeCloseTo(0.3 + Math.sqrt(0.12), 12);
    expect(std.norm_ratio_lo).toBeCloseTo(3.5 - Math.sqrt(1.25), 12);
    const [iqr] = sequenceBands(metrics, entropy, 'iqr');
    expect([iqr.sink_rate_lo, iqr.sink_rate_hi]).toEqual([0.75, 1]);
    expect([iqr.norm_ratio_lo, iqr.norm_ratio_hi]).toEqual([2.75, 4.25]);
  });
});

describe('layerProfileFigure', () => {
  it('carries the fixture metrics and normalises the bound by ln T', () => {
    const m = fixtureMetrics('gpt2');
    const rows = dataset(builders.layerProfile(), 'layers').filter((row) => row.model === 'gpt2');
    expect(rows.map((r) => r.norm_ratio)).toEqual(m.hidden_norms.ratio);
    expect(rows.map((r) => r.entropy_normalized)).toEqual(m.matrix_entropy.shannon_norm);
    // NaN at the embeddings (no attention) becomes null, which Vega-Lite leaves out
    expect(rows.map((r) => r.sink_rate)).toEqual([null, ...m.sink_rate_per_layer]);
    // bound ln 17 normalised by ln 17
    for (const row of rows) expect(row.entropy_bound_normalized).toBeCloseTo(1, 15);
  });

  it('divides entropy_bound by ln(seq_len) of its row: 2.5 / ln 17 = 0.8823903096619029', () => {
    const rows = layersRows('gpt2').map((row) => ({ ...row, entropy_bound: 2.5 }));
    const out = dataset(layerProfileFigure(rows, CAPTION), 'layers');
    for (const row of out) expect(row.entropy_bound_normalized).toBeCloseTo(0.8823903096619029, 15);
  });

  it('draws the norm ratio in the first-token colour', () => {
    const spec = JSON.stringify(builders.layerProfile());
    expect(spec).toContain(`"color":{"value":"${TOKEN_GROUP_COLORS.first}"}`);
  });

  it('names figure, table, row and column when a column is missing', () => {
    const rows = layersRows('gpt2');
    delete (rows[2] as Json).entropy_bound;
    expect(() => layerProfileFigure(rows, CAPTION)).toThrow(/layerProfileFigure: table 'layers' row 2 has no column 'entropy_bound'/);
  });

  it('rejects a non-integer index and a T that cannot normalise', () => {
    const fractional = layersRows('gpt2').map((row, i) => (i === 1 ? { ...row, hidden_index: 1.5 } : row));
    expect(() => layerProfileFigure(fractional, CAPTION)).toThrow(/row 1 column 'hidden_index' must be an integer \(got 1\.5\)/);
    const short = layersRows('gpt2').map((row) => ({ ...row, seq_len: 1 }));
    expect(() => layerProfileFigure(short, CAPTION)).toThrow(/seq_len must be an integer >= 2/);
  });

  it('accepts Arrow-style rows: bigint indices and float32 values', () => {
    const rows = layersRows('gpt2').map((row) => ({ ...row, hidden_index: BigInt(row.hidden_index as number), norm_ratio: Math.fround(row.norm_ratio as number) }));
    const out = dataset(layerProfileFigure(rows, CAPTION), 'layers');
    expect(out.map((r) => r.hidden_index)).toEqual([0, 1, 2, 3]);
    expect(out[1].norm_ratio).toBe(Math.fround(fixtureMetrics('gpt2').hidden_norms.ratio[1]));
  });

  it('rejects a bad caption, naming the field', () => {
    expect(() => layerProfileFigure(layersRows('gpt2'), { ...CAPTION, eps: 3 })).toThrow(/caption\.eps must be a number in \[0, 1\]/);
    expect(() => layerProfileFigure(layersRows('gpt2'), { ...CAPTION, dataset: '' })).toThrow(/caption\.dataset must be a non-empty string/);
  });
});

describe('headSinkHeatmapFigure', () => {
  it('carries alpha_1 and the per-head Sink_1 rate of the fixtures', () => {
    const rows = dataset(builders.headHeatmap(), 'heads');
    const qwen = rows.filter((r) => r.model === 'qwen2');
    expect(qwen).toHaveLength(12);
    expect(qwen.map((r) => r.mean_alpha1)).toEqual(fixtureMetrics('qwen2').alpha.flat());
    // qwen2 layer 2 head 0: alpha > 0.3 in 1 of 3 sequences though its mean (0.279) is below 0.3
    expect(qwen.find((r) => r.layer === 2 && r.head === 0)?.sink_rate).toBeCloseTo(1 / 3, 15);
    const layer2 = qwen.filter((r) => r.layer === 2).map((r) => r.sink_rate as number);
    expect(layer2.reduce((a, b) => a + b) / 4).toBeCloseTo(fixtureMetrics('qwen2').sink_rate_per_layer[2], 15);
  });
});

describe('attentionPatternFigure', () => {
  it('keeps the causal triangle of the transformers attention map', () => {
    const cells = dataset(builders.attentionPattern(), 'pattern');
    expect(cells).toHaveLength((17 * 18) / 2);
    expect(cells.every((c) => (c.key as number) <= (c.query as number))).toBe(true);
    expect(cells.find((c) => c.query === 0 && c.key === 0)?.weight).toBe(1);
  });

  it('crops to maxTokens and says so', () => {
    const spec = attentionPatternFigure(patternRows('gpt2', 0, 0, 0), CAPTION, { maxTokens: 8 });
    expect(dataset(spec, 'pattern')).toHaveLength((8 * 9) / 2);
    expect((json(spec).title as { subtitle: string[] }).subtitle[1]).toBe('model gpt2 · layer 0 · head 0 · sequence 0; first 8 of 17 positions shown');
  });

  it('draws a map with mass above the diagonal whole', () => {
    const rows = patternRows('gpt2', 0, 0, 0).map((row) => (row.query === 0 && row.key === 1 ? { ...row, weight: 0.5 } : row));
    expect(dataset(attentionPatternFigure(rows, CAPTION), 'pattern')).toHaveLength(17 * 17);
  });

  it('asks which map to draw when the table holds several', () => {
    const rows = [...patternRows('gpt2', 0, 0, 0), ...patternRows('gpt2', 0, 1, 0)];
    expect(() => attentionPatternFigure(rows, CAPTION)).toThrow(/holds 2 maps .*pass options\.model\/layer\/head\/sequence/);
    expect(dataset(attentionPatternFigure(rows, CAPTION, { head: 1 }), 'pattern')).toHaveLength(153);
    expect(() => attentionPatternFigure(rows, CAPTION, { head: 7 })).toThrow(/no rows of table 'pattern' match \{"head":7\}; the table holds: model gpt2, layer 0, head 0, sequence 0; model gpt2, layer 0, head 1, sequence 0/);
  });
});

describe('firstTokenNormsFigure', () => {
  it('averages key/value norms over heads and keeps hidden-state norms (head -1)', () => {
    const points = dataset(builders.firstTokenNorms(), 'norms');
    const first = (kind: string) => points.filter((p) => p.kind === kind && p.token_group === TOKEN_GROUP_LABELS.first).map((p) => p.norm);
    const other = (kind: string) => points.filter((p) => p.kind === kind && p.token_group === TOKEN_GROUP_LABELS.other).map((p) => p.norm);
    expect(first('key')).toEqual([1, 2, 3]);
    expect(other('value')).toEqual([4, 4, 4]);
    expect(first('hidden')).toEqual(fixtureMetrics('gpt2').hidden_norms.first);
    expect(other('hidden')).toEqual(fixtureMetrics('gpt2').hidden_norms.rest);
  });

  it('colours first and other tokens with the fixed pair', () => {
    const text = JSON.stringify(builders.firstTokenNorms());
    expect(text).toContain(
      JSON.stringify({ domain: [TOKEN_GROUP_LABELS.first, TOKEN_GROUP_LABELS.other], range: [TOKEN_GROUP_COLORS.first, TOKEN_GROUP_COLORS.other] }),
    );
  });

  it('keeps the causal q-k cells', () => {
    const qk = dataset(builders.firstTokenNorms(), 'qk');
    expect(qk).toHaveLength(15);
    expect(qk.filter((c) => c.key === 0).every((c) => c.cos === 1)).toBe(true);
  });

  it('rejects an unknown kind', () => {
    const rows = normsRows('gpt2').map((row, i) => (i === 0 ? { ...row, kind: 'query' } : row));
    expect(() => firstTokenNormsFigure({ norms: rows }, CAPTION)).toThrow(/row 0 column 'kind' must be one of hidden, key, value, hidden_pre_norm \(got "query"\)/);
  });

  it('draws the last hidden state before the final norm when the table has it, and says which', () => {
    const pre = { model: 'gpt2', layer: 3, kind: 'hidden_pre_norm', head: -1, first_token_norm: 50, other_tokens_mean_norm: 5 };
    const rows = [...normsRows('gpt2'), pre];
    const before = firstTokenNormsFigure({ norms: rows }, CAPTION);
    const first = (spec: TopLevelSpec) => dataset(spec, 'norms').filter((p) => p.kind === 'hidden' && p.token_group === TOKEN_GROUP_LABELS.first).map((p) => p.norm);
    expect(first(before)).toEqual([...fixtureMetrics('gpt2').hidden_norms.first.slice(0, 3), 50]);
    expect(JSON.stringify(before)).toContain('"text":"hidden states (last: before the final norm)"');
    const after = firstTokenNormsFigure({ norms: rows }, CAPTION, { lastHidden: 'after' });
    expect(first(after)).toEqual(fixtureMetrics('gpt2').hidden_norms.first);
    expect(JSON.stringify(after)).toContain('"text":"hidden states (last: after the final norm)"');
    // without a pre-norm row the panel makes no claim
    expect(JSON.stringify(builders.firstTokenNorms())).toContain('"text":"hidden states"');
  });

  it('draws q·kᵀ beside cos(q, k) and |q||k|', () => {
    const qk = dataset(builders.firstTokenNorms(), 'qk');
    expect(qk.find((c) => c.query === 3 && c.key === 3)).toEqual({ query: 3, key: 3, dot: -4, cos: -1, norm_product: 4 });
    expect(JSON.stringify(builders.firstTokenNorms())).toContain('"title":{"text":"q·kᵀ"');
  });
});

describe('sinkSweepFigure', () => {
  it('compares models at the largest T and shows eps as set, not as float32 digits', () => {
    const spec = builders.sinkSweep();
    const atT = dataset(spec, 'sink_sweep_at_t');
    expect(atT).toHaveLength(6);
    expect(new Set(atT.map((r) => r.seq_len))).toEqual(new Set([256]));
    expect(new Set(atT.map((r) => r.eps))).toEqual(new Set([0.1, 0.3, 0.5]));
    expect(atT.find((r) => r.model === 'llama' && r.eps === 0.1)?.sink_rate).toBe(Math.fround(0.9 * 0.5));
  });

  it('uses options.seqLen and rejects a T the table lacks', () => {
    const at128 = dataset(sinkSweepFigure(sinkSweepRows(), CAPTION, { seqLen: 128 }), 'sink_sweep_at_t');
    expect(new Set(at128.map((r) => r.seq_len))).toEqual(new Set([128]));
    expect(() => sinkSweepFigure(sinkSweepRows(), CAPTION, { seqLen: 100 })).toThrow(/options\.seqLen 100 not in table 'sink_sweep' for model gpt2 \(has 64, 128, 256\)/);
  });
});

describe('massiveActivationsFigure', () => {
  it('draws top-3 |a| and the median per hidden state, and marks the emergence layer', () => {
    const points = dataset(builders.massiveActivations(), 'massive');
    expect(points.filter((p) => p.series === 'top 1').map((p) => p.abs_value)).toEqual([4, 8, 2000, 2500]);
    expect(points.filter((p) => p.series === 'median |a|').map((p) => p.abs_value)).toEqual([0.5, 0.8, 1, 1.2]);
    expect(new Set(points.map((p) => p.emergence_hidden_index))).toEqual(new Set([2]));
  });

  it('rejects ranks not sorted by |a| and an ambiguous emergence index', () => {
    const swapped = massiveRows().map((row) => (row.hidden_index === 1 && row.rank === 0 ? { ...row, abs_value: 1 } : row));
    expect(() => massiveActivationsFigure(swapped, CAPTION)).toThrow(/hidden_index 1: abs_value of rank 1 \(6\) exceeds rank 0 \(1\)/);
    const twoModels = [...massiveRows(), ...massiveRows().map((row) => ({ ...row, model: 'llama' }))];
    expect(() => massiveActivationsFigure(twoModels, CAPTION, { emergenceHiddenIndex: 2 })).toThrow(/pass \{ \[model\]: index \}/);
  });

  it('on relative depth, hidden_index / L per model, so models of different depth overlay; L is required', () => {
    const spec = builders.massiveRelativeDepth();
    const top1 = dataset(spec, 'massive').filter((p) => p.series === 'top 1');
    expect(top1.filter((p) => p.model === 'gpt2').map((p) => p.relative_depth)).toEqual([0, 1 / 3, 2 / 3, 1]);
    expect(top1.filter((p) => p.model === 'llama').map((p) => p.relative_depth)).toEqual([0, 1 / 6, 2 / 6, 3 / 6]);
    expect(JSON.stringify(spec)).toContain('"field":"relative_depth"');
    expect(() => massiveActivationsFigure(massiveRows(), CAPTION, { depthAxis: 'relative-depth', blocks: {} })).toThrow(/relative depth needs options.blocks\['gpt2'\]/);
  });
});

describe('ablationFigure', () => {
  it('orders series baseline, targeted, control and keeps one perplexity per series', () => {
    const spec = builders.ablation();
    expect(dataset(spec, 'ablation_summary').map((s) => [s.series, s.perplexity])).toEqual([
      ['baseline', Math.exp(3)],
      ['targeted: zero-first-value', Math.exp(3.5)],
      ['control: zero-random-value', Math.exp(3.05)],
    ]);
    expect(JSON.stringify(spec)).toContain('"domain":["baseline","targeted: zero-first-value","control: zero-random-value"]');
  });

  it("names a control of the figure's targeted intervention by what it changes, so the legend tells controls apart", () => {
    const named = ablationRows().map((row) =>
      row.role === 'targeted' ? { ...row, intervention: 'zero hook_mlp_out L=auto' } : row.role === 'control' ? { ...row, intervention: 'zero hook_mlp_out L=auto [control: position 17]' } : row,
    );
    const layer = named.filter((row) => row.role === 'control').map((row) => ({ ...row, intervention: 'zero hook_mlp_out L=auto [control: layer 2]' }));
    const spec = ablationFigure([...named, ...layer], CAPTION);
    expect(dataset(spec, 'ablation_summary').map((s) => s.series)).toEqual(['baseline', 'targeted: zero hook_mlp_out L=auto', 'control: position 17', 'control: layer 2']);
    // a control of another intervention keeps its full name
    const other = named.map((row) => (row.role === 'control' ? { ...row, intervention: 'zero hook_attn_out L=auto [control: position 17]' } : row));
    expect(dataset(ablationFigure(other, CAPTION), 'ablation_summary').map((s) => s.series)).toContain('control: zero hook_attn_out L=auto [control: position 17]');
  });

  it('rejects an unknown role and a perplexity that changes within a series', () => {
    const badRole = ablationRows().map((row, i) => (i === 5 ? { ...row, role: 'treated' } : row));
    expect(() => ablationFigure(badRole, CAPTION)).toThrow(/row 5 column 'role' must be one of baseline, targeted, control \(got "treated"\)/);
    const drift = ablationRows().map((row, i) => (i === 1 ? { ...row, perplexity: 21 } : row));
    expect(() => ablationFigure(drift, CAPTION)).toThrow(/row 1: loss\/perplexity of model gpt2, baseline differ between rows/);
  });

  it('needs one T to normalise the bound', () => {
    expect(() => ablationFigure(ablationRows(), { ...CAPTION, seqLen: [64, 128] })).toThrow(/pass options\.seqLen/);
  });
});

describe('sinkKFigure', () => {
  it('carries Sink_k of the transformers attention maps for k = 1..10', () => {
    const rows = dataset(builders.sinkK(), 'sink_k');
    expect(rows.filter((r) => r.model === 'gpt2').map((r) => r.k)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    // k = 1 is the fixture's own Sink_1 (gpt2: no head over 0.3)
    expect(rows.find((r) => r.model === 'gpt2' && r.k === 1)?.sink_rate).toBe(fixtureMetrics('gpt2').sink_rate);
    expect(rows.find((r) => r.model === 'llama' && r.k === 1)?.sink_rate).toBeCloseTo(fixtureMetrics('llama').sink_rate, 12);
  });
});

describe('sinkKFigure with datasets', () => {
  it('one panel per dataset, one colour per model (the palette holds models, not model x dataset)', () => {
    const spec = json(builders.sinkKByDataset());
    expect(spec.facet).toEqual({ column: { field: 'dataset', type: 'nominal', title: null } });
    expect(JSON.stringify(spec)).toContain('"domain":["gpt2","llama"]');
  });
});

describe('sinkParamsFigure', () => {
  it('one line per family through its models in size order; a repeated model is an error', () => {
    const rows = dataset(builders.sinkParams(), 'sink_params');
    expect(rows.map((r) => r.model)).toEqual(['gpt2-small', 'gpt2-medium', 'gpt2-large', 'pythia-160m', 'pythia-1b']);
    expect(JSON.stringify(builders.sinkParams())).toContain('"scale":{"type":"log"}');
    expect(() => sinkParamsFigure([...sinkParamsRows(), sinkParamsRows()[0]], CAPTION)).toThrow(/model gpt2-small twice/);
  });
});

describe('qkGridFigure', () => {
  it('one row of q·kᵀ, cos and |q||k| per head, labelled with its alpha_1', () => {
    const spec = builders.qkGrid();
    expect(dataset(spec, 'qk_l2_h1')).toHaveLength(15);
    expect(dataset(spec, 'qk_l0_h3').find((c) => c.query === 3 && c.key === 3)?.dot).toBe(4);
    const text = JSON.stringify(spec);
    expect(text).toContain('"text":"layer 2, head 1 · mean α₁ = 0.91"');
    expect(text).toContain('"text":"layer 0, head 3 · mean α₁ = 0.02"');
    expect(() => qkGridFigure(qkRows(), [{ layer: 5, head: 0 }], CAPTION)).toThrow(/no rows of table 'qk' match/);
  });
});

describe('datasetSinksFigure', () => {
  it('one bar per (model, dataset); a repeated pair is an error', () => {
    expect(dataset(builders.datasetSinks(), 'dataset_sinks')).toHaveLength(6);
    expect(() => datasetSinksFigure([...datasetSinksRows(), datasetSinksRows()[0]], CAPTION)).toThrow(/model gpt2 on dataset natural text twice/);
  });
});

describe('doseResponseFigure', () => {
  it('draws the dose rows only, one point per (reading, strength), with mean ± std', () => {
    const points = dataset(builders.doseResponse(), 'dose');
    expect(points).toHaveLength(3 * 4);
    expect(points.find((p) => p.quantity === 'sink_rate' && p.scale === 0.5)).toEqual({ series: 'zero hook_mlp_out L=auto', quantity: 'sink_rate', scale: 0.5, h: 2, delta: -0.2, low: -0.2 - 0.05, high: -0.2 + 0.05 });
  });

  it('leaves out the Sink_1 panel when no dose measured it, and says why', () => {
    const rows = doseRows().map((r) => ({ ...r, sink_rate_delta_mean: NaN, sink_rate_delta_std: NaN }));
    const spec = json(doseResponseFigure(rows, CAPTION));
    expect((spec.concat as unknown[]).length).toBe(3);
    expect((spec.title as { subtitle: string[] }).subtitle).toContain('no Sink₁ panel: no attention layer comes after the ablated block');
    expect(() => doseResponseFigure(doseRows().filter((r) => r.role !== 'dose'), CAPTION)).toThrow(/no rows of role 'dose'/);
  });
});

describe('trainingFigure', () => {
  it('needs model-level rows', () => {
    expect(() => trainingFigure(trainingRows().filter((row) => row.layer !== -1), CAPTION)).toThrow(/no model-level rows \(layer -1\)/);
  });

  it('falls back to the model-level norm ratio without layer rows', () => {
    const rows = trainingRows()
      .filter((row) => row.layer === -1)
      .map((row) => ({ ...row, norm_ratio: 2 }));
    expect((json(trainingFigure(rows, CAPTION)).title as { subtitle: string[] }).subtitle[1]).toContain('norm ratio model-level');
  });
});
