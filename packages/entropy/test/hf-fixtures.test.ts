import { describe, expect, it } from 'vitest';
import { entropyBound, LayerEntropyAccumulator, matrixEntropy } from '../src/index.js';
import { closeRel, fixtureNames, loadFixture } from './fixtures.js';

// Golden numbers computed in float64 by numpy from the same float32 tensors (fixtures/hf/README.md).
const REL = 1e-6;

describe.each(fixtureNames())('fixture %s', (name) => {
  const fx = loadFixture(name);
  const { num_sequences: S, seq_len: T, num_layers: L } = fx.metrics;
  const d = fx.dim;
  const m = (fx.metrics as unknown as { matrix_entropy: Record<string, number[] & number[][]> }).matrix_entropy;
  const seq = (i: number, s: number) => fx.hiddenStates[i].subarray(s * T * d, (s + 1) * T * d);

  it('Shannon and Renyi-2 matrix entropy (and / ln T) per sequence and hidden state', () => {
    for (let s = 0; s < S; s++) {
      for (let i = 0; i <= L; i++) {
        const e = matrixEntropy(seq(i, s), T, d);
        expect(e.method).toBe('gram');
        expect(e.options).toEqual({ center: false, normalize: false });
        closeRel(e.shannon, m.shannon_per_sequence[s][i], REL, `shannon s${s} i${i}`);
        closeRel(e.shannonNormalized, m.shannon_norm_per_sequence[s][i], REL, `shannon_norm s${s} i${i}`);
        closeRel(e.renyi2, m.renyi2_per_sequence[s][i], REL, `renyi2 s${s} i${i}`);
        // the d x d covariance path gives the same numbers
        const cov = matrixEntropy(seq(i, s), T, d, { method: 'covariance' });
        closeRel(cov.shannon, e.shannon, 1e-10, `covariance path s${s} i${i}`);
        // and the massive-activation bound holds on real hidden states
        expect(e.shannon).toBeLessThanOrEqual(entropyBound(seq(i, s), T, d).bound + 1e-12);
      }
    }
  });

  it('sequence means per hidden state through LayerEntropyAccumulator', () => {
    const acc = new LayerEntropyAccumulator({ states: L + 1 });
    for (let s = 0; s < S; s++) for (let i = 0; i <= L; i++) acc.add(i, seq(i, s), T, d);
    acc.result().forEach((r, i) => {
      expect(r.numSequences).toBe(S);
      closeRel(r.shannon.mean, m.shannon[i], REL, `shannon i${i}`);
      closeRel(r.shannonNormalized.mean, m.shannon_norm[i], REL, `shannon_norm i${i}`);
      closeRel(r.renyi2.mean, m.renyi2[i], REL, `renyi2 i${i}`);
      closeRel(r.renyi2Normalized.mean, m.renyi2_norm[i], REL, `renyi2_norm i${i}`);
    });
  });
});
