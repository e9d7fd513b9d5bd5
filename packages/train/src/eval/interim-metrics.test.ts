import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readSafetensors } from '@sinkscope/model-io';
import { HF_FIXTURES } from '../../test/fixture-path.js';
import { FirstTokenNormAccumulator, firstKeyAlpha, normalizedMatrixEntropy, SinkRateAccumulator, symmetricEigenvalues } from './interim-metrics.js';

interface ExpectedMetrics {
  num_sequences: number;
  seq_len: number;
  num_layers: number;
  num_heads: number;
  alpha_per_sequence: number[][][];
  sink_rate: number;
  sink_rate_per_layer: number[];
  hidden_norms: { ratio: number[] };
  matrix_entropy: { shannon_norm: number[] };
}

function loadFixture(name: string) {
  const dir = join(HF_FIXTURES, name);
  const metrics = JSON.parse(readFileSync(join(dir, 'expected_metrics.json'), 'utf8')) as ExpectedMetrics;
  const { tensors } = readSafetensors(join(dir, 'expected.safetensors'));
  return { metrics, tensors };
}

describe('symmetricEigenvalues', () => {
  it('finds the eigenvalues of small matrices with known spectra', () => {
    // [[2, 1], [1, 2]] has eigenvalues 1 and 3; a diagonal matrix its diagonal.
    expect([...symmetricEigenvalues(Float64Array.from([2, 1, 1, 2]), 2)].sort()).toEqual([1, 3].map((x) => expect.closeTo(x, 14)));
    expect([...symmetricEigenvalues(Float64Array.from([5, 0, 0, 0, -1, 0, 0, 0, 2]), 3)].sort((a, b) => a - b)).toEqual([-1, 2, 5]);
    // Tridiagonal Toeplitz (2 on the diagonal, -1 off it): eigenvalues 2 - 2 cos(k pi / (n + 1)).
    const n = 9;
    const a = new Float64Array(n * n);
    for (let i = 0; i < n; i++) {
      a[i * n + i] = 2;
      if (i + 1 < n) a[i * n + i + 1] = a[(i + 1) * n + i] = -1;
    }
    const got = [...symmetricEigenvalues(a, n)].sort((x, y) => x - y);
    got.forEach((ev, k) => expect(ev).toBeCloseTo(2 - 2 * Math.cos(((k + 1) * Math.PI) / (n + 1)), 13));
  });

  it('keeps the trace and the Frobenius norm of a dense random matrix', () => {
    const n = 40;
    const a = new Float64Array(n * n);
    let seed = 7;
    const rand = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    for (let i = 0; i < n; i++) for (let j = 0; j <= i; j++) a[i * n + j] = a[j * n + i] = rand();
    let trace = 0;
    let frob = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i];
    for (const x of a) frob += x * x;
    const ev = symmetricEigenvalues(a.slice(), n);
    expect(ev.reduce((s, x) => s + x, 0)).toBeCloseTo(trace, 12);
    expect(ev.reduce((s, x) => s + x * x, 0)).toBeCloseTo(frob, 12);
  });
});

describe('interim metrics against fixtures/hf expected_metrics.json', () => {
  for (const name of ['gpt2', 'opt', 'gpt_neox_pythia']) {
    it(`${name}: alpha_1, Sink_1 (per sequence), norm ratio, normalised entropy`, () => {
      const { metrics, tensors } = loadFixture(name);
      const S = metrics.num_sequences;
      const T = metrics.seq_len;
      const L = metrics.num_layers;
      const H = metrics.num_heads;
      const sinks = new SinkRateAccumulator(L, H);
      for (let s = 0; s < S; s++) {
        const alphas = Array.from({ length: L }, (_, l) => {
          const probs = tensors.get(`attentions.${l}`)!.data;
          return Array.from({ length: H }, (_, h) => firstKeyAlpha(probs, T, (s * H + h) * T * T));
        });
        alphas.forEach((row, l) => row.forEach((a, h) => expect(a).toBeCloseTo(metrics.alpha_per_sequence[s][l][h], 6)));
        sinks.addSequence(alphas);
      }
      const { sinkRate, perLayerSinkRate } = sinks.result();
      expect(sinkRate).toBeCloseTo(metrics.sink_rate, 12);
      perLayerSinkRate.forEach((r, l) => expect(r).toBeCloseTo(metrics.sink_rate_per_layer[l], 12));
      for (let i = 0; i <= L; i++) {
        const hidden = tensors.get(`hidden_states.${i}`)!;
        const d = hidden.shape[2];
        const norms = new FirstTokenNormAccumulator();
        let entropy = 0;
        for (let s = 0; s < S; s++) {
          norms.addSequence(hidden.data, T, d, s * T * d);
          entropy += normalizedMatrixEntropy(hidden.data, T, d, s * T * d);
        }
        expect(norms.ratio()).toBeCloseTo(metrics.hidden_norms.ratio[i], 6);
        expect(entropy / S).toBeCloseTo(metrics.matrix_entropy.shannon_norm[i], 6);
      }
    });
  }

  it('Sink_1 uses the strict threshold per sequence, not the sequence-mean alpha', () => {
    const acc = new SinkRateAccumulator(1, 2);
    acc.addSequence([[0.3, 0.9]]); // 0.3 is not > 0.3
    acc.addSequence([[0.31, 0.1]]);
    expect(acc.result().sinkRate).toBeCloseTo(0.5, 15);
    expect(acc.result().meanAlpha[0][0]).toBeCloseTo(0.305, 15);
  });
});
