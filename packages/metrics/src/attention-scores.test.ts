import { describe, expect, it } from 'vitest';
import { AttentionScoreAccumulator, attentionScores } from './attention-scores.js';
import { mixCompressRefine, transitionLayer } from './emergence.js';

/** [H, T, T] maps with row t given by `row(t, h)` (an array of t + 1 weights). */
function maps(H: number, T: number, row: (t: number, h: number) => number[]): Float32Array {
  const a = new Float32Array(H * T * T);
  for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) row(t, h).forEach((w, k) => (a[(h * T + t) * T + k] = w));
  return a;
}
const oneHot = (t: number, at: number) => Array.from({ length: t + 1 }, (_, k) => (k === at ? 1 : 0));

describe('attentionScores (Mix-Compress-Refine, Queipo-de-Llano et al. 2025 Fig. 6)', () => {
  it('uniform causal attention: mixing 1, and identity = previous = BOS = mean of 1/(t+1) over t >= 1', () => {
    const T = 9;
    const s = attentionScores(maps(3, T, (t) => Array(t + 1).fill(1 / (t + 1))), 3, T);
    const mean = Array.from({ length: T - 1 }, (_, i) => 1 / (i + 2)).reduce((a, b) => a + b) / (T - 1);
    expect(s.mixing).toBeCloseTo(1, 6);
    expect(s.identity).toBeCloseTo(mean, 7);
    expect(s.prevToken).toBeCloseTo(mean, 7);
    expect(s.bos).toBeCloseTo(mean, 7);
  });

  it('one-hot maps: all on BOS, on itself, on the previous token', () => {
    const T = 6;
    expect(attentionScores(maps(2, T, (t) => oneHot(t, 0)), 2, T)).toEqual({ mixing: 0, identity: 0, prevToken: 0.2, bos: 1 });
    expect(attentionScores(maps(2, T, (t) => oneHot(t, t)), 2, T)).toEqual({ mixing: 0, identity: 1, prevToken: 0, bos: 0 });
    // t = 1: previous token = BOS, so bos is 1/5 there
    expect(attentionScores(maps(2, T, (t) => oneHot(t, Math.max(t - 1, 0))), 2, T)).toEqual({ mixing: 0, identity: 0, prevToken: 1, bos: 0.2 });
  });

  it('a hand-computed T = 3 map, two heads averaged', () => {
    // head 0 rows t=1: [0.5, 0.5], t=2: [0.2, 0.3, 0.5]; head 1 all on BOS
    const head0 = [[1], [0.5, 0.5], [0.2, 0.3, 0.5]];
    const s = attentionScores(maps(2, 3, (t, h) => (h === 0 ? head0[t] : oneHot(t, 0))), 2, 3);
    const h2 = -(0.2 * Math.log(0.2) + 0.3 * Math.log(0.3) + 0.5 * Math.log(0.5));
    expect(s.mixing).toBeCloseTo((1 + h2 / Math.log(3) + 0 + 0) / 4, 6);
    expect(s.identity).toBeCloseTo((0.5 + 0.5 + 0 + 0) / 4, 7);
    expect(s.prevToken).toBeCloseTo((0.5 + 0.3 + 1 + 0) / 4, 7);
    expect(s.bos).toBeCloseTo((0.5 + 0.2 + 1 + 1) / 4, 7);
    expect(() => attentionScores(new Float32Array(10), 2, 3)).toThrow(/shape/);
  });

  it('the accumulator averages sequences per layer', () => {
    const acc = new AttentionScoreAccumulator(2, 1);
    acc.addSequence([maps(1, 4, (t) => oneHot(t, 0)), maps(1, 4, (t) => oneHot(t, t))], 4);
    acc.addSequence([maps(1, 4, (t) => oneHot(t, t)), maps(1, 4, (t) => oneHot(t, t))], 4);
    const [l0, l1] = acc.result();
    expect(l0).toEqual({ mixing: 0, identity: 0.5, prevToken: 1 / 6, bos: 0.5 });
    expect(l1.identity).toBe(1);
  });
});

describe('transitionLayer and mixCompressRefine', () => {
  it('transition: the largest rise of ln(first-token norm), not of the norm itself', () => {
    expect(transitionLayer([1, 20, 30, 300])).toBe(1); // ln rises 3.0, 0.4, 2.3; plain rises 19, 10, 270
    expect(transitionLayer([5])).toBeNull();
  });

  it('phases: Mix until the norm ratio passes 10 or the entropy falls below 0.7 of the embeddings; Refine once within 0.1 of the last', () => {
    const h = [0.9, 0.85, 0.5, 0.3, 0.45, 0.7, 0.75];
    const r = [1, 2, 40, 50, 45, 30, 5];
    expect(mixCompressRefine(r, h)).toEqual({ mixEnd: 2, refineStart: 5, phase: ['mix', 'mix', 'compress', 'compress', 'compress', 'refine', 'refine'] });
    // the entropy alone ends Mix (0.6 < 0.7 x 0.9) when the norm ratio stays small
    expect(mixCompressRefine([1, 1, 1, 1], [0.9, 0.6, 0.4, 0.65]).mixEnd).toBe(1);
    // stricter thresholds move the boundaries
    expect(mixCompressRefine(r, h, { normRatio: 45, entropyDrop: 0.3, refineTolerance: 0.01 })).toMatchObject({ mixEnd: 3, refineStart: 6 });
    // no massive norm and no drop: all Mix
    expect(mixCompressRefine([1, 1, 1], [0.9, 0.9, 0.9])).toEqual({ mixEnd: null, refineStart: null, phase: ['mix', 'mix', 'mix'] });
  });
});
