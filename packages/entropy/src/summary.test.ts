import { describe, expect, it } from 'vitest';
import { LayerEntropyAccumulator, summarize } from './summary.js';

describe('summarize', () => {
  it('mean, population std, min, max', () => {
    expect(summarize([1, 2, 3, 4])).toEqual({ mean: 2.5, std: Math.sqrt(1.25), min: 1, max: 4, count: 4 });
    const big = summarize([1e9 + 1, 1e9 + 2, 1e9 + 3]); // Welford stays exact where naive sums lose digits
    expect(big.std).toBeCloseTo(Math.sqrt(2 / 3), 9);
    expect(() => summarize([])).toThrow(/no values/);
  });
});

describe('LayerEntropyAccumulator', () => {
  it('summarises every quantity per hidden state over sequences', () => {
    const acc = new LayerEntropyAccumulator({ states: 2, renyiAlphas: [0.5] });
    const eye = new Float32Array([1, 0, 0, 1]); // entropy ln 2
    const skew = new Float32Array([3, 0, 0, 4]); // shares 0.36, 0.64
    acc.add(0, eye, 2, 2);
    acc.add(0, skew, 2, 2);
    acc.add(1, eye, 2, 2);
    const [s0, s1] = acc.result();
    const hSkew = -(0.36 * Math.log(0.36) + 0.64 * Math.log(0.64));
    expect(s0.numSequences).toBe(2);
    expect(s0.shannon.mean).toBeCloseTo((Math.log(2) + hSkew) / 2, 14);
    expect(s0.shannon.std).toBeCloseTo((Math.log(2) - hSkew) / 2, 14);
    expect(s0.shannon.min).toBeCloseTo(hSkew, 14);
    expect(s0.shannonNormalized.max).toBeCloseTo(1, 14);
    expect(Object.keys(s0.renyi).sort()).toEqual(['0.5', '2']);
    expect(s0.bound?.count).toBe(2);
    expect(s0.meanCosine?.includingBos?.mean).toBe(0);
    expect(s0.meanCosine?.excludingBos).toBeNull(); // T = 2 leaves one token without BOS
    expect(s1.shannon).toMatchObject({ mean: Math.log(2), std: 0, count: 1 });
    // Theorem 1 per sequence: eye has p1 = 1/2, skew (rows 3 e1, 4 e2) p1 = 16/25 with x_0 = 3 e1
    // orthogonal to the rest: alpha = 0, c = 9/16, p = 9/25 <= p1, entropyUpper = f(9/25, 2) >= H
    expect(s0.theorem1?.p1?.mean).toBeCloseTo((0.5 + 0.64) / 2, 14);
    expect(s0.theorem1?.alignment?.max).toBe(0);
    expect(s0.theorem1?.p1Lower?.min).toBeCloseTo(9 / 25, 14);
    expect(s0.theorem1?.rank?.mean).toBe(2);
    const skewSeq = new LayerEntropyAccumulator({ states: 1 }).add(0, skew, 2, 2).theorem1!;
    expect(skewSeq.c).toBeCloseTo(9 / 16, 15);
    expect(skewSeq.dominance).toBeCloseTo(16 / 9, 14);
    expect(skewSeq.dominanceLower).toBeCloseTo(9 / 16, 15);
    expect(skewSeq.entropyUpper).toBeNull(); // p = 0.36 < 1/r = 1/2: the corollary does not apply
    expect(skewSeq.entropyRankNormalized).toBeCloseTo(hSkew / Math.log(2), 14);
    // the big row first: p = 16/25 = p1 (tight, x_0 orthogonal), entropyUpper = H = binary entropy of 0.64
    const big = new LayerEntropyAccumulator({ states: 1 }).add(0, new Float32Array([4, 0, 0, 3]), 2, 2).theorem1!;
    expect(big.p1Lower).toBeCloseTo(0.64, 15);
    expect(big.p1).toBeCloseTo(0.64, 15);
    expect(big.entropyUpper).toBeCloseTo(hSkew, 14);
    expect(big.entropyUpperRankNormalized).toBeCloseTo(hSkew / Math.log(2), 14);
    expect(() => acc.add(2, eye, 2, 2)).toThrow(/index must be an integer in 0..1/);
    expect(() => new LayerEntropyAccumulator({ states: 2 }).result()).toThrow(/hidden state 0 received no sequences/);
  });
});
