import { describe, expect, it } from 'vitest';
import { causalMap, harmonic } from '../test/maps.js';
import { importanceScores } from './importance.js';

describe('importanceScores', () => {
  it('all mass on the first key gives alpha_1 = 1 and alpha_k = 0 for k > 1', () => {
    const T = 9;
    const map = causalMap(2, T, (_h, t) => Array.from({ length: t + 1 }, (_, k) => (k === 0 ? 1 : 0)));
    const alpha = importanceScores(map, 2, T);
    for (let h = 0; h < 2; h++) {
      expect(alpha[h * T]).toBe(1);
      for (let k = 1; k < T; k++) expect(alpha[h * T + k]).toBe(0);
    }
  });

  it('uniform causal attention gives alpha_k = (H_T - H_{k-1}) / (T - k + 1), so alpha_1 = H_T / T', () => {
    const T = 64;
    const map = new Float64Array(T * T);
    for (let t = 0; t < T; t++) for (let k = 0; k <= t; k++) map[t * T + k] = 1 / (t + 1);
    const alpha = importanceScores(map, 1, T);
    expect(alpha[0]).toBeCloseTo(harmonic(T) / T, 14);
    for (const k of [1, 2, 5, 10, 64]) {
      expect(alpha[k - 1]).toBeCloseTo((harmonic(T) - harmonic(k - 1)) / (T - k + 1), 14);
    }
  });

  it('averages key k over rows k..T only (hand-checked 3x3)', () => {
    // rows: [1], [0.25, 0.75], [0.5, 0.3, 0.2]
    const map = new Float64Array([1, 0, 0, 0.25, 0.75, 0, 0.5, 0.3, 0.2]);
    const alpha = importanceScores(map, 1, 3);
    expect(alpha[0]).toBeCloseTo((1 + 0.25 + 0.5) / 3, 15);
    expect(alpha[1]).toBeCloseTo((0.75 + 0.3) / 2, 15);
    expect(alpha[2]).toBeCloseTo(0.2, 15);
  });

  it("'abs-sum' turns each causal row into |s| / sum |s| (Gu et al. sec. 7.4)", () => {
    const scores = new Float64Array([2, 9, 9, -1, 3, 9, 0.5, -0.5, 1]); // above-diagonal 9s are ignored
    const alpha = importanceScores(scores, 1, 3, { normalization: 'abs-sum' });
    const normalised = new Float64Array([1, 0, 0, 0.25, 0.75, 0, 0.25, 0.25, 0.5]);
    const expected = importanceScores(normalised, 1, 3);
    for (let k = 0; k < 3; k++) expect(alpha[k]).toBeCloseTo(expected[k], 15);
    // rows of equal |score| are uniform attention
    const T = 16;
    const flat = new Float64Array(T * T).fill(-3);
    expect(importanceScores(flat, 1, T, { normalization: 'abs-sum' })[0]).toBeCloseTo(harmonic(T) / T, 14);
  });

  it('rejects maps whose rows do not sum to 1 (transposed or mis-laid-out) and wrong shapes', () => {
    const T = 4;
    const map = new Float64Array(T * T);
    for (let t = 0; t < T; t++) for (let k = 0; k <= t; k++) map[t * T + k] = 1 / (t + 1);
    const transposed = new Float64Array(T * T);
    for (let t = 0; t < T; t++) for (let k = 0; k < T; k++) transposed[k * T + t] = map[t * T + k];
    expect(() => importanceScores(transposed, 1, T)).toThrow(/head 0, query 1\) sums to 0\.5 /);
    expect(() => importanceScores(map, 2, T)).toThrow(/attention pattern has 16 values but shape \[heads=2, query=4, key=4\] needs 32/);
    expect(() => importanceScores(transposed, 1, T, { rowSumTolerance: Infinity })).not.toThrow();
    const nan = map.slice();
    nan[5] = NaN;
    expect(() => importanceScores(nan, 1, T, { rowSumTolerance: Infinity })).toThrow(/query 1/);
    expect(() => importanceScores(new Float64Array(T * T), 1, T, { normalization: 'abs-sum' })).toThrow(/positive finite total/);
  });
});
