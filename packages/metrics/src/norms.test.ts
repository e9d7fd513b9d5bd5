import { describe, expect, it } from 'vitest';
import { firstVsRest, headTokenNorms, HeadNormAccumulator, NormAccumulator, tokenNorms } from './norms.js';

describe('token norms', () => {
  it('tokenNorms and firstVsRest on a 3-4-5 example', () => {
    const x = new Float32Array([3, 4, 0, 0, 6, 8, 1, 0]); // T = 4, d = 2
    expect(Array.from(tokenNorms(x, 4, 2))).toEqual([5, 0, 10, 1]);
    expect(firstVsRest(tokenNorms(x, 4, 2), 4)).toEqual({ firstTokenNorm: 5, otherTokensMeanNorm: 11 / 3 });
    expect(() => tokenNorms(x, 3, 2)).toThrow(/hidden state has 8 values but shape \[T=3, d=2\] needs 6/);
    expect(() => firstVsRest(new Float64Array([1]), 1)).toThrow(/at least 2 tokens/);
  });

  it('headTokenNorms lays out [head][token]', () => {
    const x = new Float32Array([1, 0, 0, 2, 0, 3, 4, 0]); // H = 2, T = 2, hd = 2
    expect(Array.from(headTokenNorms(x, 2, 2, 2))).toEqual([1, 2, 3, 4]);
  });

  it('NormAccumulator: ratio of the sequence means, not the mean of per-sequence ratios', () => {
    const acc = new NormAccumulator({ states: 1 });
    acc.add(0, new Float32Array([2, 0, 1, 0, 0, 1]), 3, 2); // first 2, rest 1
    acc.add(0, new Float32Array([0, 4, 4, 0, 0, 4]), 3, 2); // first 4, rest 4
    const [r] = acc.result();
    expect(r.firstTokenNorm).toBe(3);
    expect(r.otherTokensMeanNorm).toBe(2.5);
    expect(r.normRatio).toBe(1.2); // the mean of ratios would be 1.5
    expect(r.numSequences).toBe(2);
  });

  it('NormAccumulator.addSequence checks every state before adding any', () => {
    const acc = new NormAccumulator({ states: 2 });
    expect(() => acc.addSequence([new Float32Array(6), new Float32Array(5)], 3, 2)).toThrow(/needs 6/);
    expect(() => acc.result()).toThrow(/hidden state 0: no sequences/);
  });

  it('HeadNormAccumulator gives [layer][head] matrices', () => {
    const acc = new HeadNormAccumulator({ layers: 2, heads: 2 });
    // layer 0: head 0 tokens (norm 10, 1, 1), head 1 tokens (1, 1, 1); hd = 1
    acc.add(0, new Float32Array([10, 1, -1, 1, 1, 1]), 3, 1);
    acc.add(1, new Float32Array([1, 2, 2, 6, 3, 3]), 3, 1);
    const r = acc.result();
    expect(r.normRatio).toEqual([
      [10, 1],
      [0.5, 2],
    ]);
    expect(r.firstTokenNorm[1]).toEqual([1, 6]);
  });
});
