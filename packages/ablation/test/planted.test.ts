import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ArtifactStore, buildArtifactMetadata, hashInputs } from '@sinkscope/artifacts';
import { loadExtractionModel, type ExtractionModel } from '@sinkscope/model-io';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ablateModel, type AblatedModel, type AblateModelInput } from '../src/ablate-model.js';
import type { AblationEffectsRow } from '../src/effects-rows.js';
import { ABLATION_EFFECTS } from '../src/kinds.js';
import { checkAblations } from '../src/plan.js';
import { parseAblationSpecs } from '../src/schema.js';
import type { AblationRow } from '../src/summary.js';
import { effectsTable } from '../src/table.js';
import { FIXTURES, PLANTED, plantedSequences, writePlantedGpt2 } from '../src/testing/index.js';

const tmp = mkdtempSync(join(tmpdir(), 'sinkscope-ablation-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const T = 16;
const sequences = plantedSequences(8, T);
const SPECS = parseAblationSpecs([
  { kind: 'zero', hook: 'hook_mlp_out', layers: 'auto', scale: [0, 0.5, 1] },
  { kind: 'set-dims', hook: 'hook_resid_post', layers: 'auto', dims: 'massive', value: 0, controls: false },
]);
let model: ExtractionModel;
let result: AblatedModel;
let rows: AblationRow[];
let loads = 0;
let store: ArtifactStore;

/** The library's one orchestration on a store of its own, as the pipeline's ablate step runs it. */
function ablate(specs: AblateModelInput['specs'], store: ArtifactStore): Promise<AblatedModel> {
  const metadata: AblateModelInput['metadata'] = (kind, version, extra) =>
    buildArtifactMetadata({ kind, ...(version !== undefined ? { schemaVersion: version } : {}), specHash: hashInputs('planted'), model: 'planted', dataset: 'planted', bosPolicy: 'always', engine: 'tfjs', backend: model.backend, versions: {}, extra: { seq_len: T, eps: 0.3, ...extra } });
  checkAblations(specs, model.arch, T);
  return ablateModel({
    store,
    modelName: 'planted',
    arch: model.arch,
    sequences,
    specs,
    keys: { modelHash: hashInputs('planted model'), sequencesHash: hashInputs(sequences), bosPolicy: 'always', engine: 'tfjs', eps: 0.3, entropy: { center: false, normalizeRows: false } },
    // the model stays the test's: ablateModel disposes what it loaded, so it gets a view without dispose
    loadModel: async () => (loads++, { ...model, dispose: () => {} }),
    metadata,
    log: () => {},
    where: 'ablations',
  });
}

beforeAll(async () => {
  model = await loadExtractionModel(writePlantedGpt2(join(tmp, 'planted')), { engine: 'tfjs' });
  store = new ArtifactStore({ root: join(tmp, 'cache'), warn: () => {} });
  result = await ablate(SPECS, store);
  rows = await result.readRows();
});
afterAll(() => model?.dispose());

const rowsOf = (name: string) => rows.filter((r) => r.intervention === name).sort((a, b) => a.hidden_index - b.hidden_index);
const ZERO = 'zero hook_mlp_out L=auto';
const downstream = [2, 3, 4, 5]; // hidden states that carry the planted activation (6 = the final norm's output)

describe('ablations on a model with a planted first-token massive activation', () => {
  it('auto finds the block that writes it, massive dims find its dims, controls sit elsewhere', () => {
    const zero = result.runs.filter((r) => r.group === ZERO && r.role !== 'dose');
    expect(zero.map((r) => [r.role, r.interventions.map((i) => `${i.hook}@${i.positions}`)])).toEqual([
      ['targeted', [`blocks.${PLANTED.massiveBlock}.hook_mlp_out@0`]],
      ['control', [`blocks.1.hook_mlp_out@${zero[1].interventions[0].positions![0]}`]],
      // hidden states 4 and 5 are far from the emergence (2); 5 (block 4's output) changes least
      ['control', ['blocks.4.hook_mlp_out@0']],
    ]);
    expect(zero[1].interventions[0].positions![0]).toBeGreaterThan(0);
    const setDims = result.runs.find((r) => r.name.startsWith('set-dims'))!;
    expect(setDims.interventions).toEqual([{ kind: 'set-dims', hook: 'blocks.1.hook_resid_post', positions: [0], dims: [...PLANTED.massiveDims], value: 0 }]);
  });

  it('before: a massive first token, sinks on it and entropy under its bound; zeroing its MLP output undoes all three', () => {
    const before = rowsOf('baseline');
    const after = rowsOf(ZERO);
    expect(before[1].norm_ratio).toBeLessThan(2);
    for (const i of downstream) {
      expect(before[i].norm_ratio).toBeGreaterThan(20);
      expect(before[i].entropy_normalized).toBeLessThan(0.1);
      expect(before[i].entropy_normalized * Math.log(T)).toBeLessThanOrEqual(before[i].entropy_bound);
      // after: the first token is ordinary again and entropy rises above the bound it obeyed before
      expect(after[i].norm_ratio).toBeGreaterThan(0.5);
      expect(after[i].norm_ratio).toBeLessThan(2);
      expect(after[i].entropy_normalized * Math.log(T)).toBeGreaterThan(before[i].entropy_bound);
      expect(after[i].entropy_normalized).toBeGreaterThan(0.3);
    }
    for (const i of [3, 4, 5, 6]) {
      expect(before[i].sink_rate).toBe(1); // planted query bias: every downstream head sinks
      expect(after[i].sink_rate).toBeLessThan(0.5);
    }
    // nothing upstream of block 1's MLP changes, bit for bit
    for (const col of ['norm_ratio', 'entropy_normalized', 'entropy_bound', 'mean_cosine'] as const) {
      expect([after[0][col], after[1][col]]).toEqual([before[0][col], before[1][col]]);
    }
  });

  it('the zeroed first token at hidden state 2 is exactly its baseline resid_mid of block 1 (independent capture)', async () => {
    const out = await model.run(sequences, { capture: ['blocks.1.hook_resid_mid', 'blocks.1.hook_resid_post'] });
    const mid = out.get('blocks.1.hook_resid_mid')!.data;
    const post = out.get('blocks.1.hook_resid_post')!.data;
    const d = 64;
    const norm = (x: Float32Array, at: number) => Math.hypot(...x.subarray(at, at + d));
    const after = result.readings.get(ZERO)!.sequences;
    sequences.forEach((_, s) => {
      // only position 0 changes: the others' hidden state 2 is the baseline's resid_post
      let rest = 0;
      for (let t = 1; t < T; t++) rest += norm(post, (s * T + t) * d);
      expect(after[s].firstTokenNorm[2]).toBeCloseTo(norm(mid, s * T * d), 4);
      expect(after[s].otherTokensMeanNorm[2]).toBeCloseTo(rest / (T - 1), 4);
    });
  });

  it('the controls change the profile far less than the targeted ablation', () => {
    const effects = result.effects.filter((e) => e.group === ZERO && e.role !== 'dose');
    const [targeted, ...controls] = effects;
    expect(targeted.role).toBe('targeted');
    expect(controls).toHaveLength(2);
    expect(targeted.normRatio.deltaMean).toBeLessThan(-20);
    expect(targeted.entropy.deltaMean).toBeGreaterThan(0.3);
    expect(targeted.sinkRate!.deltaMean).toBeLessThan(-0.5);
    for (const c of controls) {
      expect(Math.abs(c.normRatio.deltaMean)).toBeLessThan(0.1 * Math.abs(targeted.normRatio.deltaMean));
      expect(Math.abs(c.entropy.deltaMean)).toBeLessThan(0.05 * targeted.entropy.deltaMean);
      expect(Math.abs(c.sinkRate!.deltaMean)).toBeLessThan(0.1 * Math.abs(targeted.sinkRate!.deltaMean));
    }
    // effect = after - baseline of the per-sequence means, with the spread over sequences
    expect(targeted.normRatio.after - targeted.normRatio.baseline).toBeCloseTo(targeted.normRatio.deltaMean, 9);
    expect(targeted.normRatio.deltaStd).toBeGreaterThan(0);
    const table = effectsTable(result.summaryRows, '## planted');
    expect(table).toContain(`| targeted | ${ZERO} | 2 |`);
    expect(table).toMatch(/\| control \| zero hook_mlp_out L=auto \[control: layer 4\] \| 2 \| /);
  });

  it('finds the planted massive activation from the baseline alone, where it forms', () => {
    expect(result.finding.found).toBe(true);
    expect(result.finding.emergenceHiddenIndex).toBe(2);
    expect(result.finding.massiveHiddenIndices).toEqual([2, 3, 4, 5]); // 6 is the final norm's output: not a residual state
    expect(result.finding.topActivation.value).toBeGreaterThan(100);
    expect(result.finding.verdict).toMatch(/^massive activation at hidden state 2, hidden state 3, hidden state 4, hidden state 5 \(largest first-token norm ratio [\d.]+ at hidden state \d; top \|activation\| [\d.]+ at hidden state \d, \d+x its median\); it forms at hidden state 2, the output of block 1 \(the largest rise of the norm ratio\)$/);
    expect(result.plan.skipped).toEqual([]);
  });

  it('dose-response: strength 0 is the baseline, 1 the targeted run, 0.5 a run of its own in between', () => {
    const points = result.doses.filter((d) => d.group === ZERO);
    expect(points.map((p) => [p.scale, p.run])).toEqual([
      [0, 'baseline'],
      [0.5, `${ZERO} [scale 0.5]`],
      [1, ZERO],
    ]);
    const targeted = result.effects.find((e) => e.name === ZERO)!;
    expect(points[0].effects.normRatio.deltaMean).toBe(0);
    expect(points[0].effects.window).toBe(targeted.window);
    expect(points[2].effects).toEqual(targeted);
    // half of the massive MLP output: the first token's norm ratio at h = 2 falls part of the way
    const half = points[1].effects;
    expect(half.normRatio.deltaMean).toBeLessThan(-5);
    expect(half.normRatio.deltaMean).toBeGreaterThan(targeted.normRatio.deltaMean);
    expect(result.runs.find((r) => r.name === `${ZERO} [scale 0.5]`)!.interventions).toEqual([{ kind: 'zero', hook: 'blocks.1.hook_mlp_out', positions: [0], strength: 0.5 }]);
  });

  it('stores the effects, the finding and the dose points in one ablation_effects artifact per model', async () => {
    const entry = result.artifacts.find((a) => a.kind === ABLATION_EFFECTS.kind)!;
    const table = (await store.read(ABLATION_EFFECTS.kind, entry.key))!;
    expect(table.schema.metadata.get('sinkscope.massive_found')).toBe('true');
    expect(table.schema.metadata.get('sinkscope.massive_verdict')).toBe(result.finding.verdict);
    const stored = table.toArray().map((r) => (r as { toJSON(): AblationEffectsRow }).toJSON());
    expect(stored.map((r) => [r.role, r.intervention, r.scale])).toEqual([
      ['targeted', ZERO, 1],
      ['control', expect.stringMatching(/^zero hook_mlp_out L=auto \[control: position \d+\]$/), NaN],
      ['control', `${ZERO} [control: layer 4]`, NaN],
      ['dose', 'baseline', 0],
      ['dose', `${ZERO} [scale 0.5]`, 0.5],
      ['dose', ZERO, 1],
      ['targeted', 'set-dims(massive=0) hook_resid_post L=auto', 1],
    ]);
    const targeted = result.effects.find((e) => e.name === ZERO)!;
    expect(stored[0].norm_ratio_delta_mean).toBe(Math.fround(targeted.normRatio.deltaMean));
    expect(stored[0].sink_rate_after).toBe(Math.fround(targeted.sinkRate!.after));
    expect(stored[0].note).toBe('block 1 (auto), where the massive activation forms (hidden state 2, the largest rise of the first-token norm ratio)');
  });

  it('stored runs are hits: a second pass loads no model and gives the same effects', async () => {
    const before = loads;
    const again = await ablate(SPECS, new ArtifactStore({ root: join(tmp, 'cache'), warn: () => {} }));
    expect(loads).toBe(before);
    expect(again.artifacts.every((a) => a.cacheHit)).toBe(true);
    expect(again.effects).toEqual(result.effects);
  });

  it('an unknown hook or a block the model lacks is a clear error before any forward pass', async () => {
    const check = (raw: unknown[], arch = model.arch, minLen = T) => () => checkAblations(parseAblationSpecs(raw), arch, minLen);
    expect(check([{ kind: 'zero', hook: 'hook_mlp_out', layers: [9] }])).toThrow("ablations[0]: field 'layers' names block 9, but this gpt2 model has blocks 0..5");
    expect(() => parseAblationSpecs([{ kind: 'zero', hook: 'blocks.1.hook_mlp_out', layers: 'auto' }])).toThrow(
      /ablations\[0\]: field 'hook': "blocks\.1\.hook_mlp_out" is not a hook kind \(valid: hook_resid_pre, hook_resid_mid, hook_resid_post, hook_attn_out, hook_mlp_out\); the blocks go in 'layers'/,
    );
    expect(() => parseAblationSpecs([{ kind: 'scale', hook: 'hook_mlp_out', layers: 'auto' }])).toThrow(/field 'kind': kind "scale" is not an ablation kind \(valid: zero, /);
    expect(() => parseAblationSpecs([{ kind: 'zero', hook: 'hook_mlp_out', layers: 'auto', norm: 3 }])).toThrow(/ablations\[0\]: unknown field 'norm'/);
    expect(() => parseAblationSpecs([{ kind: 'zero', hook: 'hook_mlp_out', layers: [1, 1] }])).toThrow(/field 'layers': has duplicates/);
    expect(() => parseAblationSpecs([{ kind: 'set-dims', hook: 'hook_mlp_out', layers: [1], dims: [1], value: 'baseline-mean' }])).toThrow(/value 'baseline-mean' needs a residual-stream hook/);
    expect(() => parseAblationSpecs([{ kind: 'zero', hook: 'hook_mlp_out', layers: 'auto' }, { kind: 'zero', hook: 'hook_mlp_out', layers: 'auto' }])).toThrow(
      "ablations[1]: field 'name': 'zero hook_mlp_out L=auto' is already the name of ablations[0]; give one of them a 'name'",
    );
    expect(check([{ kind: 'set-dims', hook: 'hook_resid_post', layers: [1], dims: [64], value: 0 }])).toThrow(/dims\[0\]' = 64 is outside 0\.\.63/);
    expect(check([{ kind: 'zero', hook: 'hook_mlp_out', layers: 'auto', positions: [16] }])).toThrow(/positions' has 16, outside/);
    // hook_resid_mid does not exist in a parallel-residual model (GPT-NeoX / Pythia)
    const neox = await loadExtractionModel(join(FIXTURES, 'gpt_neox_pythia'), { engine: 'tfjs' });
    try {
      expect(check([{ kind: 'zero', hook: 'hook_resid_mid', layers: [0] }], neox.arch, 3)).toThrow(
        "ablations[0]: hook 'hook_resid_mid' does not exist in this gpt_neox model (parallel residual; valid: hook_resid_pre, hook_resid_post, hook_attn_out, hook_mlp_out)",
      );
    } finally {
      neox.dispose();
    }
  });
});
