import { describe, expect, it } from 'vitest';
import { LensHead } from '../../src/index.js';
import { fixtureDir } from '../fixtures.js';
import { goldenRun } from '../golden-parity.js';

/** Next-token cross-entropy of real logits [T, V] in float64 (log-sum-exp), per position 0..T-2. */
function logitLoss(logits: Float32Array, T: number, V: number, ids: readonly number[]): Float64Array {
  return Float64Array.from({ length: T - 1 }, (_, t) => {
    let max = -Infinity;
    for (let v = 0; v < V; v++) max = Math.max(max, logits[t * V + v]);
    let z = 0;
    for (let v = 0; v < V; v++) z += Math.exp(logits[t * V + v] - max);
    return max + Math.log(z) - logits[t * V + ids[t + 1]];
  });
}

describe('LensHead (LogitLens through the model\'s own final norm and unembedding)', () => {
  it.each(['gpt2', 'llama', 'phi', 'gemma', 'opt', 'gpt_neox_pythia'])('%s: the last hidden state reads out the real logits (not normalised twice); one call serves every layer', async (fixture) => {
    const { expected, sequences, seqLen: T } = goldenRun(fixture);
    const lens = await LensHead.load(fixtureDir(fixture), { backend: 'cpu' });
    try {
      const L = lens.arch.nLayers;
      const d = lens.arch.dModel;
      const V = lens.arch.vocabSize;
      const logits = expected.get('logits')!.data as Float32Array;
      for (const [b, ids] of sequences.entries()) {
        const xs = Array.from({ length: L + 1 }, (_, i) => (expected.get(`hidden_states.${i}`)!.data as Float32Array).subarray(b * T * d, (b + 1) * T * d));
        const out = lens.readout(xs, ids);
        expect(out).toHaveLength(L + 1);
        const real = logitLoss(logits.subarray(b * T * V, (b + 1) * T * V), T, V, ids);
        for (let t = 0; t < T - 1; t++) expect(-out[L].targetLogProbs[t]).toBeCloseTo(real[t], 4);
        // an earlier hidden state is normalised first: its readout differs from the raw unembedding
        expect(out[0].targetLogProbs.some((v, t) => Math.abs(v - out[L].targetLogProbs[t]) > 1e-3)).toBe(true);
      }
    } finally {
      lens.dispose();
    }
  });

  it('normalising the last hidden state again would change the loss (the double-norm bug this guards against)', async () => {
    const { expected, sequences, seqLen: T } = goldenRun('llama');
    const lens = await LensHead.load(fixtureDir('llama'), { backend: 'cpu' });
    try {
      const d = lens.arch.dModel;
      const last = (expected.get(`hidden_states.${lens.arch.nLayers}`)!.data as Float32Array).subarray(0, T * d);
      // feed the normalised last state in a non-last slot: it is normalised once more there
      const xs = Array.from({ length: lens.arch.nLayers + 1 }, () => last);
      const out = lens.readout(xs, sequences[0]);
      const once = out[lens.arch.nLayers].targetLogProbs;
      const twice = out[0].targetLogProbs;
      expect(Math.max(...once.map((v, t) => Math.abs(v - twice[t])))).toBeGreaterThan(1e-4);
      expect(() => lens.readout(xs.slice(1), sequences[0])).toThrow(/hidden states/);
    } finally {
      lens.dispose();
    }
  });
});
