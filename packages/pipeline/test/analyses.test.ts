// Queipo-de-Llano et al. 2025's analyses as pipeline steps (issue 16): the streamed per-sequence and
// per-layer tables against the in-memory pass and the definitions, the layers v2 columns (transition,
// phases), checkpoint dynamics over several folders of one series, and the lens step's tasks.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ArtifactStore } from '@sinkscope/artifacts';
import { mixCompressRefine, transitionLayer } from '@sinkscope/metrics';
import { hiddenStateHooks, LensHead, loadExtractionModel, sequenceRows } from '@sinkscope/model-io';
import { afterAll, describe, expect, it } from 'vitest';
import { measureModel, modelPlan, openContext, runPipeline } from '../src/index.js';
import { multipleChoiceLogProbs } from '../src/steps/lens-tasks.js';
import { readModelTables } from '../src/steps/report/layers-table.js';
import { fixtureSpecText } from './fixture-spec.js';

const here = dirname(fileURLToPath(import.meta.url));
const FIXTURES = resolve(here, '../../../../shared/fixtures/hf');
const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-analyses-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function writeSpec(name: string, body: string): string {
  const file = join(tmp, `${name}.yaml`);
  writeFileSync(file, body);
  return file;
}
const options = () => ({ store: new ArtifactStore({ root: join(tmp, 'cache'), warn: () => {} }), reportsRoot: join(tmp, 'reports'), runsRoot: join(tmp, 'runs'), log: () => {}, print: () => {} });

describe('the analyses as pipeline tables', () => {
  it('per-sequence and per-layer tables equal the in-memory pass; transition and phases follow their rules', async () => {
    const spec = writeSpec('tables', fixtureSpecText('analyses-tables', { llama: `${FIXTURES}/llama` }, 'figures: [profile, bound, phases, depth, entropy-overlay]\n'));
    await runPipeline(spec, 'report', options());
    const ctx = openContext(spec, options());
    const plan = await modelPlan(ctx, 0);
    const t = await readModelTables(ctx, 0);
    const model = await loadExtractionModel(plan.model.dir, { engine: 'tfjs' });
    const lens = await LensHead.load(plan.model.dir);
    try {
      const mem = await measureModel(model, plan.sequences, { eps: 0.3, epsSweep: [0.3], ks: [1], seqLenSweep: [], massiveTopK: 1, scoreNormalization: 'none', entropy: { center: false, normalizeRows: false, renyiAlphas: [2] } }, { lens });
      const entropy = mem.entropy.result();
      const attention = mem.sinks.attentionResult();
      const L = plan.model.arch.nLayers;
      expect(t.tables.entropy_sequences).toHaveLength((L + 1) * plan.sequences.length);
      expect(t.tables.metrics_sequences).toHaveLength((L + 1) * plan.sequences.length);
      t.tables.layers.forEach((row, i) => {
        expect(row.p1).toBeCloseTo(entropy[i].theorem1!.p1!.mean, 5);
        expect(row.p1_lower).toBeCloseTo(entropy[i].theorem1!.p1Lower!.mean, 5);
        expect(row.mean_cosine).toBeCloseTo(entropy[i].meanCosine!.includingBos!.mean, 5);
        expect(row.relative_depth).toBeCloseTo(i / L, 7);
        if (i > 0) expect(row.mixing_score).toBeCloseTo(attention[i - 1].mixing, 5);
        expect(row.logit_lens_loss).toBeCloseTo(mem.logitLensLoss![i], 4);
        // the per-sequence rows average to the per-layer means
        const seqs = t.tables.entropy_sequences.filter((r) => r.hidden_index === i);
        expect(seqs.reduce((a, r) => a + Number(r.p1), 0) / seqs.length).toBeCloseTo(Number(row.p1), 5);
        for (const r of seqs) expect(Number(r.p1)).toBeGreaterThanOrEqual(Number(r.p1_lower) - 1e-6); // Theorem 1 on real hidden states
      });
      const norms = t.tables.layers.map((r) => Number(r.first_token_norm));
      expect(t.tables.layers.map((r) => r.transition)).toEqual(norms.map((_, i) => i === transitionLayer(norms)));
      expect(t.tables.layers.map((r) => r.phase)).toEqual(mixCompressRefine(t.tables.layers.map((r) => Number(r.norm_ratio)), t.tables.layers.map((r) => Number(r.entropy_normalized))).phase);
      expect(Number(t.metadata.layers.transition_hidden_index)).toBe(transitionLayer(norms));
    } finally {
      model.dispose();
      lens.dispose();
    }
  }, 120_000);

  it('checkpoint dynamics: models of one series at several steps give the dynamics table, its heatmaps and the first steps', async () => {
    // three checkpoint folders standing in for three training steps of one series
    const models = `models:
  - {name: neox-a, path: ${FIXTURES}/gpt_neox_pythia, series: neox, step: 1000}
  - {name: neox-b, path: ${FIXTURES}/gpt_neox_sequential, series: neox, step: 3000}
  - {name: neox-c, path: ${FIXTURES}/gpt_neox_pythia_bf16, series: neox, step: 2000}
  - {name: lone, path: ${FIXTURES}/gpt2}
`;
    const body = fixtureSpecText('analyses-dynamics', {}, 'figures: [dynamics]\nanalyses: {logitLens: false, dynamics: {sinkRate: 0.01}}\n').replace(/models:\n/, models);
    const spec = writeSpec('dynamics', body);
    await runPipeline(spec, 'report', options());
    const store = options().store;
    const listed = await store.list('dynamics');
    expect(listed).toHaveLength(1);
    const table = (await store.read('dynamics', listed[0].key))!;
    const rows = table.toArray().map((r) => (r as { toJSON(): Record<string, unknown> }).toJSON());
    expect([...new Set(rows.map((r) => r.step))]).toEqual([1000, 2000, 3000]); // ordered by step, not by spec order
    expect(rows.filter((r) => r.step === 2000).map((r) => r.model)).toEqual(['neox-c', 'neox-c', 'neox-c', 'neox-c']);
    expect(rows.every((r) => r.series === 'neox')).toBe(true);
    const ctx = openContext(spec, options());
    const a = await readModelTables(ctx, 0);
    const at1000 = rows.filter((r) => r.step === 1000);
    at1000.forEach((r, i) => expect(r.log_norm_ratio).toBeCloseTo(Math.log(Number(a.tables.layers[i].norm_ratio)), 5));
    const meta = Object.fromEntries([...table.schema.metadata].map(([k, v]) => [k.replace('sinkscope.', ''), v]));
    // the first step whose model-level Sink_1 exceeds analyses.dynamics.sinkRate (0.01), in step order
    const bySteps = await Promise.all([0, 2, 1].map(async (m) => ({ step: [1000, 3000, 2000][m], rate: Number((await readModelTables(ctx, m)).metadata.layer_metrics.sink_rate_model) })));
    expect(Number(meta.first_step_sink)).toBe(bySteps.find((s) => s.rate > 0.01)?.step ?? -1);
    expect(Number(meta.first_step_massive)).toBe(-1); // random fixtures have no massive norm ratio
    expect(meta.series).toBe('neox');
  }, 120_000);

  it('multiple-choice log-probs with one forward per shared prefix equal one forward per choice (one- and two-token choices)', async () => {
    const dir = `${FIXTURES}/gpt2`;
    const model = await loadExtractionModel(dir, { engine: 'tfjs' });
    const lens = await LensHead.load(dir);
    try {
      const V = model.arch.vocabSize;
      const ids = (n: number, salt: number) => Array.from({ length: n }, (_, i) => (i * 7919 + salt * 104729) % V);
      const items = [
        { contextIds: ids(9, 1), choices: [[3], [5], [8], [13]].map((c) => ({ ids: c })) },
        { contextIds: ids(12, 2), choices: [[21], [34, 55], [34, 89]].map((c) => ({ ids: c })) }, // the two-token choices share their first token
        { contextIds: ids(9, 3), choices: [[2], [4]].map((c) => ({ ids: c })) },
      ];
      const got = await multipleChoiceLogProbs(model, lens, items, 'test');
      const hooks = hiddenStateHooks(model.arch);
      for (const [i, item] of items.entries()) {
        for (const [j, choice] of item.choices.entries()) {
          const seq = [...item.contextIds, ...choice.ids];
          const out = await model.run([seq], { capture: hooks });
          const readouts = lens.readout(hooks.map((h) => sequenceRows(out.get(h)!, 0, seq.length)), seq);
          readouts.forEach((r, layer) => {
            let want = 0;
            for (let t = item.contextIds.length - 1; t < seq.length - 1; t++) want += r.targetLogProbs[t];
            expect(got[i][j][layer]).toBeCloseTo(want, 4);
          });
        }
      }
      // the choices of item 0 differ, so their scores do too: the shared forward is read out per choice
      expect(new Set(got[0].map((s) => s[model.arch.nLayers].toFixed(6))).size).toBe(4);
    } finally {
      model.dispose();
      lens.dispose();
    }
  }, 120_000);

  it('the lens step on the default model: the back-copy tasks are solved at the last layer, not by the embeddings; probes read the token', async () => {
    const spec = writeSpec(
      'lens',
      `name: analyses-lens
models: [{name: default, path: default}]
dataset: {spec: datasets/backcopy-64.json, count: 8}
seqLen: 64
engine: tfjs
figures: [depth]
analyses:
  multipleChoice: {spec: datasets/backcopy-choice.json, count: 16}
  probes: {spec: datasets/backcopy-labels.json, count: 40, folds: 4}
`,
    );
    const receipts = await runPipeline(spec, 'lens', options());
    const lens = receipts.find((r) => r.step === 'lens')!;
    expect(lens.artifacts.map((a) => a.kind)).toEqual(['logit_lens', 'multiple_choice', 'probes']);
    const read = async (kind: string) => {
      const key = lens.artifacts.find((a) => a.kind === kind)!.key;
      return (await options().store.read(kind, key))!.toArray().map((r) => (r as { toJSON(): Record<string, number | string> }).toJSON());
    };
    const mc = await read('multiple_choice');
    // hidden states 0 (embeddings) .. 3 (the final norm's output)
    expect(mc.map((r) => r.items)).toEqual([16, 16, 16, 16]);
    expect(mc[3].accuracy).toBeGreaterThanOrEqual(0.9); // the trained model copies (copy accuracy 0.946 in its eval.jsonl)
    expect(Number(mc[0].accuracy)).toBeLessThan(Number(mc[3].accuracy));
    expect(mc[0].chance).toBeCloseTo(0.25, 6);
    const probes = await read('probes');
    expect(probes.map((r) => `${r.pooling}:${r.hidden_index}`)).toEqual(['mean:0', 'mean:1', 'mean:2', 'mean:3', 'last:0', 'last:1', 'last:2', 'last:3']);
    // 'copy' vs 'bigram' is decided by the last token's identity (a trigger or not): linear from the embeddings on
    expect(Number(probes[4].accuracy)).toBeGreaterThanOrEqual(0.9);
    expect(probes.every((r) => r.examples === 40 && r.folds === 4 && r.classes === 2)).toBe(true);
    const logitLens = await read('logit_lens');
    expect(Number(logitLens[3].loss)).toBeLessThan(Number(logitLens[0].loss));
  }, 180_000);
});
