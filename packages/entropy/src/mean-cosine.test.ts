import { describe, expect, it } from 'vitest';
import { randomMatrix } from '../test/random.js';
import { meanCosine } from './mean-cosine.js';

/** Mean cosine over ordered pairs i != j by the direct O(T^2 d) definition, rows first..T-1. */
function directMeanCos(x: Float64Array, T: number, d: number, first: number): number {
  const norm = (i: number) => Math.hypot(...x.subarray(i * d, (i + 1) * d));
  let sum = 0;
  let pairs = 0;
  for (let i = first; i < T; i++) {
    for (let j = first; j < T; j++) {
      if (i === j) continue;
      let dot = 0;
      for (let c = 0; c < d; c++) dot += x[i * d + c] * x[j * d + c];
      sum += dot / (norm(i) * norm(j));
      pairs++;
    }
  }
  return sum / pairs;
}

describe('meanCosine', () => {
  it('identical directions give 1, orthogonal tokens 0', () => {
    const same = new Float32Array([1, 2, 2, 4, 3, 6]);
    expect(meanCosine(same, 3, 2).includingBos).toBeCloseTo(1, 15);
    const eye = new Float32Array([1, 0, 0, 0, 1, 0, 0, 0, 1]);
    expect(meanCosine(eye, 3, 3)).toEqual({ includingBos: 0, excludingBos: 0, zeroTokens: 0 });
  });

  it('excluding BOS: BOS orthogonal to three identical tokens', () => {
    const x = new Float32Array([5, 0, 0, 1, 0, 2, 0, 3]); // BOS e1, then e2, 2 e2, 3 e2
    const a = meanCosine(x, 4, 2);
    expect(a.includingBos).toBeCloseTo(6 / 12, 15); // 6 of 12 ordered pairs have cos 1
    expect(a.excludingBos).toBeCloseTo(1, 15);
  });

  it('matches the direct pairwise definition on random data; zero tokens are left out', () => {
    const T = 9;
    const d = 5;
    const x = randomMatrix(T, d, 4).map((v, i) => v + (i % d === 0 ? 1 : 0));
    const a = meanCosine(x, T, d);
    expect(a.includingBos).toBeCloseTo(directMeanCos(x, T, d, 0), 14);
    expect(a.excludingBos).toBeCloseTo(directMeanCos(x, T, d, 1), 14);
    const withZero = new Float64Array([...x, 0, 0, 0, 0, 0]);
    expect(meanCosine(withZero, T + 1, d)).toEqual({ ...a, zeroTokens: 1 });
    expect(meanCosine(new Float32Array([1, 0, 0, 1]), 2, 2).excludingBos).toBeNull();
    expect(() => meanCosine(new Float32Array([1, NaN, 0, 1]), 2, 2)).toThrow(/token 0 contains NaN/);
  });
});
