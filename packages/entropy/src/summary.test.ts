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
    expect(s0.anisotropy?.includingBos?.mean).toBe(0);
    expect(s0.anisotropy?.excludingBos).toBeNull(); // T = 2 leaves one token without BOS
    expect(s1.shannon).toMatchObject({ mean: Math.log(2), std: 0, count: 1 });
    expect(() => acc.add(2, eye, 2, 2)).toThrow(/index must be an integer in 0..1/);
    expect(() => new LayerEntropyAccumulator({ states: 2 }).result()).toThrow(/hidden state 0 received no sequences/);
  });
});
