import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadExtractionModel, readSafetensors } from '@sinkscope/model-io';
import { describe, expect, it } from 'vitest';
import { autoLayer, controlLayerChoice, emergenceHiddenIndex, massiveDims } from '../src/layers.js';
import { findMassiveActivation } from '../src/massive.js';
import { nextTokenLoss } from '../src/loss.js';
import { runReadings } from '../src/readings.js';
import { ablationRows, modelLoss } from '../src/summary.js';
import { FIXTURES } from '../src/testing/index.js';

describe('measurements of one run agree with the shared fixtures', () => {
  it('per-sequence Sink_1, norms and entropy match expected_metrics.json of opt (transformers, float64)', async () => {
    const dir = join(FIXTURES, 'opt');
    const expected = JSON.parse(readFileSync(join(dir, 'expected_metrics.json'), 'utf8'));
    const ids = readSafetensors(join(dir, 'expected.safetensors')).tensors.get('input_ids')!;
    const [S, T] = ids.shape;
    const sequences = Array.from({ length: S }, (_, s) => Array.from(ids.data.subarray(s * T, (s + 1) * T)));
    const model = await loadExtractionModel(dir, { engine: 'tfjs' });
    try {
      const run = await runReadings(model, sequences, [], { eps: 0.3, batchSize: 2 });
      run.sequences.forEach((m, s) => {
        for (let l = 0; l < 3; l++) {
          // fraction of heads whose per-sequence alpha_1 exceeds 0.3 (no alpha lies within 6e-3 of 0.3)
          const heads = expected.alpha_per_sequence[s][l] as number[];
          expect(m.sinkRate[l]).toBe(heads.filter((a) => a > 0.3).length / heads.length);
        }
        for (let i = 0; i <= 3; i++) {
          expect(m.firstTokenNorm[i]).toBeCloseTo(expected.hidden_norms.first_per_sequence[s][i], 4);
          expect(m.otherTokensMeanNorm[i]).toBeCloseTo(expected.hidden_norms.rest_per_sequence[s][i], 4);
          expect(m.entropyNormalized[i]).toBeCloseTo(expected.matrix_entropy.shannon_norm_per_sequence[s][i], 5);
        }
      });
      const rows = ablationRows('opt', 'baseline', 'baseline', run);
      expect(rows.map((r) => r.sink_rate).slice(1)).toEqual(expected.sink_rate_per_layer);
      rows.forEach((r, i) => expect(r.norm_ratio).toBeCloseTo(expected.hidden_norms.ratio[i], 4));
      // the bound holds per state (Queipo-de-Llano et al. 2025, Theorem 1)
      for (const m of run.sequences) for (let i = 0; i <= 3; i++) expect(m.entropyNormalized[i] * Math.log(T)).toBeLessThanOrEqual(m.entropyBound[i] + 1e-9);
    } finally {
      model.dispose();
    }
  });
});

describe('next-token loss', () => {
  it('hand-checked: p = [1/6, 2/6, 3/6] gives ln 6 - ln k for target k + 1; the last position is ignored', () => {
    // logits ln 1, ln 2, ln 3 at every position of one sequence of 3 tokens [0, 1, 2]
    const row = [0, Math.log(2), Math.log(3)];
    const logits = { shape: [1, 3, 3], data: Float32Array.from([...row, ...row, ...row.map(() => 99)]) };
    const { nllSum, predicted } = nextTokenLoss(logits, 0, [0, 1, 2]);
    expect(predicted).toBe(2);
    // position 0 predicts id 1 (p = 2/6), position 1 predicts id 2 (p = 3/6); position 2's logits never read
    expect(nllSum).toBeCloseTo(Math.log(3) + Math.log(2), 6);
  });

  it('uniform logits give ln V; model loss is tokens-weighted and perplexity = exp(loss)', () => {
    const logits = { shape: [2, 4, 5], data: new Float32Array(40).fill(7) };
    const a = nextTokenLoss(logits, 0, [1, 2, 3, 4]);
    const b = nextTokenLoss(logits, 1, [4, 3]);
    expect(a.nllSum / a.predicted).toBeCloseTo(Math.log(5), 12);
    const { loss, perplexity } = modelLoss([{ nllSum: 3, predicted: 3 }, { nllSum: 3, predicted: 1 }]);
    expect(loss).toBe(6 / 4);
    expect(perplexity).toBeCloseTo(Math.exp(1.5), 12);
    expect(b.predicted).toBe(1);
  });

  it('a target outside the vocabulary is an error naming the position', () => {
    const logits = { shape: [1, 2, 3], data: new Float32Array(6) };
    expect(() => nextTokenLoss(logits, 0, [0, 7])).toThrow(/token id 7 at position 1 is outside the vocabulary \[0, 3\)/);
  });
});

describe('auto layer, control layer and massive dims', () => {
  const ratios = [1.1, 1.2, 40, 41, 41.5, 42, 1.0]; // hidden states 0..6 of a 6-block model

  it('auto = the largest rise of the norm ratio', () => {
    expect(emergenceHiddenIndex(ratios)).toBe(2);
    expect(autoLayer(ratios, 'hook_mlp_out')).toBe(1); // hidden state 2 = output of block 1
    expect(autoLayer(ratios, 'hook_resid_post')).toBe(1);
    expect(autoLayer(ratios, 'hook_resid_pre')).toBe(2); // block 2's input is that same output
    expect(() => autoLayer([1, 2, 50], 'hook_resid_pre')).toThrow(/last block/);
  });

  it('control = the smallest |change| away from the emergence; next to it only when nothing is farther; none when every block is targeted', () => {
    // residual states 0..5 of a 6-block model (state 6 = the final norm's input here): candidates 4 (|0.5|),
    // 5 (|0.5|) and 6 (|1|): the first on a tie; 1 and 3 are next to the emergence at 2
    const residual = [1.1, 1.2, 40, 41, 41.5, 42, 43];
    const choice = (r: number[], e: number, targeted: number[], hook: 'hook_mlp_out' | 'hook_resid_pre' = 'hook_mlp_out') => controlLayerChoice(r, e, targeted, hook, r.length - 1);
    expect(choice(residual, 2, [2])).toEqual({ hiddenIndex: 4, note: 'block 3: the smallest change of the norm ratio (0.5) away from the emergence at hidden state 2' });
    expect(choice([1, 1, 30, 30.1, 35, 35.2, 36], 2, [2]).hiddenIndex).toBe(5);
    // a 2-block model: the only other block is next to the emergence, and the note says so
    expect(choice([1, 30, 29], 1, [1])).toEqual({ hiddenIndex: 2, note: 'block 1, next to the emergence at hidden state 1: this 2-block model has no block farther away (norm-ratio change 1)' });
    // hook_resid_pre: state j is block j's input; state 2 of a 2-block model is no block's input
    expect(choice([1, 30, 29], 1, [1], 'hook_resid_pre')).toEqual({ hiddenIndex: null, note: 'no layer control: this 2-block model has no hook_resid_pre block besides the targeted one' });
    // a 1-block model
    expect(choice([1, 30], 1, [1]).hiddenIndex).toBeNull();
  });

  it('a massive activation: |a| >= 100 and >= 100x the median (Sun et al. 2024: 1000x, settable), or a norm ratio >= 10; else "nothing to ablate"', () => {
    const profile = (normRatios: number[], topActivation: number[], medianActivation: number[]) => ({ normRatios, topActivation, medianActivation, preFinalNorm: true });
    // the default model's numbers (states 0, 1 and the final norm's input): nothing
    const none = findMassiveActivation(profile([1.84, 0.31, 0.5], [1.25, 4.63, 7.0], [0.5, 0.6, 0.7]));
    expect(none.found).toBe(false);
    expect(none.verdict).toBe(
      'no massive activation found (largest ratio 1.84 at hidden state 0; top |activation| 7 at hidden state 2 (before the final norm), 10x its median; thresholds: |a| >= 100 and >= 100x the median, or a norm ratio >= 10)',
    );
    // |a| 150 but only 50x the median: not massive; 150x is (the default 100x)
    expect(findMassiveActivation(profile([1, 1, 1], [1, 150, 150], [1, 3, 3])).found).toBe(false);
    const byDefault = findMassiveActivation(profile([1, 1.5, 1.4], [1, 150, 150], [1, 1, 3]));
    expect([byDefault.found, byDefault.massiveHiddenIndices]).toEqual([true, [1]]);
    // Sun et al. 2024's stricter original (about 1000x the median): 150x is not massive, 1500x is
    const sunThresholds = { minTopActivation: 100, minMedianRatio: 1000, minNormRatio: 10 };
    expect(findMassiveActivation(profile([1, 1, 1], [1, 150, 150], [1, 1, 1]), sunThresholds).found).toBe(false);
    const sun = findMassiveActivation(profile([1, 1.5, 1.4], [1, 150, 150], [1, 0.1, 1]), sunThresholds);
    expect([sun.found, sun.massiveHiddenIndices]).toEqual([true, [1]]);
    // a norm ratio of 10 alone is enough; it forms where the ratio rises most
    const norm = findMassiveActivation(profile([1, 2, 12, 11], [1, 2, 50, 50], [1, 1, 1, 1]));
    expect([norm.found, norm.emergenceHiddenIndex, norm.massiveHiddenIndices]).toEqual([true, 2, [2, 3]]);
    expect(norm.verdict).toBe(
      'massive activation at hidden state 2, hidden state 3 (before the final norm) (largest first-token norm ratio 12 at hidden state 2; top |activation| 50 at hidden state 2, 50x its median); it forms at hidden state 2, the output of block 1 (the largest rise of the norm ratio)',
    );
  });

  it('massive dims: |mean first-token value| over 100 x the median, largest first, at most maxDims', () => {
    const v = new Float64Array(8).fill(0.01);
    v[3] = -50;
    v[6] = 20;
    v[1] = 0.5;
    expect(massiveDims(v, 0.1)).toEqual([3, 6]);
    expect(massiveDims(v, 0.1, { maxDims: 1 })).toEqual([3]);
    expect(massiveDims(v, 0.3)).toEqual([3]);
  });
});
