import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactStore } from '@sinkscope/artifacts';
import { LensHead, loadExtractionModel } from '@sinkscope/model-io';
import { writeSinkscopeCheckpoint } from '@sinkscope/model-io/testing';
import { afterAll, describe, expect, it } from 'vitest';
import { measureModel, modelPlan, openContext, runPipeline } from '../src/index.js';
import { readModelTables } from '../src/steps/report/layers-table.js';
import { fixtureSpecText } from './fixture-spec.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-pipeline-variants-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/**
 * A checkpoint of Gu et al.'s sink-emergence variants (model_type "sinkscope", as @sinkscope/train
 * writes them) through every step: a learnable sink token (row 0 of every hook inside the blocks),
 * block 0 without attention, normalised sigmoid attention with a key/value slot (rows of the real
 * keys do not sum to 1), and an ablation at the sink token.
 */
describe('a sink-emergence variant runs through the pipeline', () => {
  it('measures the blocks that have attention, counting the sink token as key 0, as in memory', async () => {
    const dir = join(tmp, 'variant');
    writeSinkscopeCheckpoint(dir, { vocab_size: 65, n_positions: 16, n_embd: 16, n_layer: 3, n_head: 2, n_inner: 32, activation_function: 'gelu_new', learnable_sink_token: true, attention_free_layers: [0], kv_bias: 'kv', attention_op: 'sigmoid_norm' }, 5, 0.3);
    const spec = join(tmp, 'variant.yaml');
    writeFileSync(
      spec,
      fixtureSpecText('variant-run', { variant: dir }, 'patternExample: {layer: 1, head: 1, sequence: 0}\nablations:\n  - {name: zero-sink-token, kind: zero, hook: hook_mlp_out, layers: [0], controls: false}\n'),
    );
    const opts = { store: new ArtifactStore({ root: join(tmp, 'cache'), warn: () => {} }), reportsRoot: join(tmp, 'reports'), runsRoot: join(tmp, 'runs'), log: () => {}, print: () => {} };
    await runPipeline(spec, 'report', opts);
    expect(readFileSync(join(tmp, 'reports', 'variant-run', 'summary.md'), 'utf8')).toMatch(/## variant/);

    const ctx = openContext(spec, opts);
    const plan = await modelPlan(ctx, 0);
    const table = await readModelTables(ctx, 0);
    const model = await loadExtractionModel(plan.model.dir, { engine: 'tfjs' });
    const lens = await LensHead.load(plan.model.dir);
    try {
      const mem = await measureModel(model, plan.sequences, { eps: 0.3, epsSweep: [0.3], ks: [1], seqLenSweep: [], massiveTopK: 1, scoreNormalization: 'none', entropy: { center: false, normalizeRows: false, renyiAlphas: [2] } }, { lens });
      expect(mem.attentionLayers).toEqual([1, 2]);
      const sink = mem.sinks.sinkResult();
      const rows = table.tables.layers;
      expect(rows).toHaveLength(4); // embeddings + 3 blocks
      expect(Number.isNaN(rows[1].sink_rate as number)).toBe(true); // block 0 has no attention
      expect(rows[2].sink_rate).toBeCloseTo(sink.perLayer.rate[0], 6);
      expect(rows[3].sink_rate).toBeCloseTo(sink.perLayer.rate[1], 6);
      rows.forEach((row, i) => expect(row.norm_ratio).toBeCloseTo(mem.sinks.normResult()[i].normRatio, 5));
      // heads of blocks 1 and 2 only; alpha_1 is each query's weight on the sink token (key 0)
      expect(table.tables.heads.map((h) => h.layer)).toEqual([1, 1, 2, 2]);
      expect(sink.perHead.meanAlpha.flat().every((a) => a > 0 && a < 1)).toBe(true);
      // the example map is over 16 tokens + the sink token
      expect(table.tables.pattern).toHaveLength((17 * 18) / 2);
      // Mix-Compress-Refine scores: none for the block without attention, the in-memory ones for the others
      const attention = mem.sinks.attentionResult();
      expect(attention).toHaveLength(2);
      expect(Number.isNaN(rows[1].mixing_score as number)).toBe(true);
      expect(rows[2].mixing_score).toBeCloseTo(attention[0].mixing, 6);
      expect(rows[3].bos_score).toBeCloseTo(attention[1].bos, 6);
      const perSequence = table.tables.metrics_sequences.filter((r) => r.hidden_index === 1);
      expect(perSequence.every((r) => Number.isNaN(r.sink_rate as number) && Number.isNaN(r.mixing_score as number))).toBe(true);
      // the q-k maps (the example and the alpha-extremes grid) come from blocks with attention, over 17 rows
      expect(new Set(table.tables.qk.map((r) => r.layer)).has(0)).toBe(false);
      expect(Math.max(...table.tables.qk.map((r) => r.query as number))).toBe(16);
      // the LogitLens drops the sink token's row: at the last hidden state it is the model's own
      // next-token loss (the head drops that row too), computed here from the logits
      const out = await model.run(plan.sequences, { capture: ['logits'] });
      const logits = out.get('logits')!;
      const V = logits.shape[2];
      let nll = 0;
      let predicted = 0;
      plan.sequences.forEach((seq, b) => {
        for (let t = 0; t + 1 < seq.length; t++) {
          const row = logits.data.subarray((b * logits.shape[1] + t) * V, (b * logits.shape[1] + t + 1) * V);
          const max = Math.max(...row);
          const logSum = Math.log(row.reduce((acc, x) => acc + Math.exp(x - max), 0)) + max;
          nll += logSum - row[seq[t + 1]];
          predicted++;
        }
      });
      expect(mem.logitLensLoss![3]).toBeCloseTo(nll / predicted, 5);
      rows.forEach((row, i) => expect(row.logit_lens_loss).toBeCloseTo(mem.logitLensLoss![i], 4));
    } finally {
      lens.dispose();
      model.dispose();
    }
  });

  it("draws the first block with attention when patternExample names no layer (block 0 has none here), and says so when no block has any", async () => {
    const dir = join(tmp, 'mlp-first');
    writeSinkscopeCheckpoint(dir, { vocab_size: 65, n_positions: 16, n_embd: 16, n_layer: 3, n_head: 2, n_inner: 32, activation_function: 'gelu_new', attention_free_layers: [0] }, 7, 0.3);
    const spec = join(tmp, 'mlp-first.yaml');
    writeFileSync(spec, fixtureSpecText('mlp-first-run', { 'mlp-first': dir }, 'patternExample: {head: 1}\nfigures: [pattern, qk]\n'));
    const opts = { store: new ArtifactStore({ root: join(tmp, 'cache'), warn: () => {} }), reportsRoot: join(tmp, 'reports'), runsRoot: join(tmp, 'runs'), log: () => {}, print: () => {} };
    await runPipeline(spec, 'report', opts);
    const table = await readModelTables(openContext(spec, opts), 0);
    // block 1's map, head 1, sequence 0: 16 x 17 / 2 causal weights
    expect(new Set(table.tables.pattern.map((r) => `${r.layer}/${r.head}/${r.sequence}`))).toEqual(new Set(['1/1/0']));
    expect(table.tables.pattern).toHaveLength((16 * 17) / 2);
    expect(table.metadata.pattern?.pattern_layer).toBe('1');
    expect(readFileSync(join(tmp, 'reports', 'mlp-first-run', 'index.html'), 'utf8')).toContain('Attention pattern of layer 1, head 1, sequence 0');

    const none = join(tmp, 'no-attention');
    writeSinkscopeCheckpoint(none, { vocab_size: 65, n_positions: 16, n_embd: 16, n_layer: 2, n_head: 2, n_inner: 32, activation_function: 'gelu_new', attention_free_layers: [0, 1] }, 7, 0.3);
    const noneSpec = join(tmp, 'no-attention.yaml');
    writeFileSync(noneSpec, fixtureSpecText('no-attention-run', { 'no-attention': none }));
    await expect(runPipeline(noneSpec, 'report', opts)).rejects.toThrow(/no-attention\.yaml: model 'no-attention': field 'patternExample': this model has no block with attention/);
  });
});
