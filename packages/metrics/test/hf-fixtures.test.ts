import { describe, expect, it } from 'vitest';
import { firstVsRest, importanceScores, NormAccumulator, SinkAccumulator, tokenNorms } from '../src/index.js';
import { closeRel, fixtureNames, loadFixture } from './fixtures.js';

// Golden numbers computed in float64 by numpy from the same float32 tensors (fixtures/hf/README.md).
const REL = 1e-6;

describe.each(fixtureNames())('fixture %s', (name) => {
  const fx = loadFixture(name);
  const { num_sequences: S, seq_len: T, num_layers: L, num_heads: H } = fx.metrics;
  const m = fx.metrics as unknown as {
    sink_eps: number;
    alpha: number[][];
    alpha_per_sequence: number[][][];
    sink_rate: number;
    sink_rate_per_layer: number[];
    sink_rate_of_mean_alpha: number;
    hidden_norms: Record<'first' | 'rest' | 'ratio', number[]> & Record<'first_per_sequence' | 'rest_per_sequence', number[][]>;
  };
  const layerMap = (l: number, s: number) => fx.attentions[l].subarray(s * H * T * T, (s + 1) * H * T * T);

  it('alpha_1 per sequence, layer and head', () => {
    for (let s = 0; s < S; s++) {
      for (let l = 0; l < L; l++) {
        const alpha = importanceScores(layerMap(l, s), H, T);
        for (let h = 0; h < H; h++) closeRel(alpha[h * T], m.alpha_per_sequence[s][l][h], REL, `alpha s${s} l${l} h${h}`);
      }
    }
  });

  it('sink rates: per-sequence threshold (sink_rate, per layer) vs threshold on the mean (sink_rate_of_mean_alpha)', () => {
    const acc = new SinkAccumulator({ layers: L, heads: H, eps: [m.sink_eps], ks: [1], primaryEps: m.sink_eps });
    for (let s = 0; s < S; s++) acc.addSequence(Array.from({ length: L }, (_, l) => layerMap(l, s)));
    const r = acc.result();
    expect(r.numSequences).toBe(S);
    for (let l = 0; l < L; l++) {
      for (let h = 0; h < H; h++) closeRel(r.perHead.meanAlpha[l][h], m.alpha[l][h], REL, `mean alpha l${l} h${h}`);
    }
    expect(r.sinkRate).toBeCloseTo(m.sink_rate, 12);
    r.perLayer.rate.forEach((rate, l) => expect(rate).toBeCloseTo(m.sink_rate_per_layer[l], 12));
    expect(r.sinkRateOfMeanAlpha).toBeCloseTo(m.sink_rate_of_mean_alpha, 12);
  });

  it('hidden-state norms: first, rest and the ratio of sequence means', () => {
    const d = fx.dim;
    const acc = new NormAccumulator({ states: L + 1 });
    for (let s = 0; s < S; s++) {
      const states = fx.hiddenStates.map((x) => x.subarray(s * T * d, (s + 1) * T * d));
      const perSeq = acc.addSequence(states, T, d);
      perSeq.forEach((v, i) => {
        closeRel(v.firstTokenNorm, m.hidden_norms.first_per_sequence[s][i], REL, `first s${s} i${i}`);
        closeRel(v.otherTokensMeanNorm, m.hidden_norms.rest_per_sequence[s][i], REL, `rest s${s} i${i}`);
        const direct = firstVsRest(tokenNorms(states[i], T, d), T);
        expect(direct).toEqual(v);
      });
    }
    acc.result().forEach((r, i) => {
      closeRel(r.firstTokenNorm, m.hidden_norms.first[i], REL, `first i${i}`);
      closeRel(r.otherTokensMeanNorm, m.hidden_norms.rest[i], REL, `rest i${i}`);
      closeRel(r.normRatio, m.hidden_norms.ratio[i], REL, `ratio i${i}`);
    });
  });
});
