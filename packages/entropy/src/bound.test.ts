import { describe, expect, it } from 'vitest';
import { unitRows } from '../test/random.js';
import { entropyBound, entropyUpperBound } from './bound.js';
import { matrixEntropy } from './entropy.js';

/** Unit rows with row 0 rescaled to norm `bosNorm`. */
function planted(T: number, d: number, bosNorm: number, seed: number): Float64Array {
  const x = unitRows(T, d, seed);
  for (let c = 0; c < d; c++) x[c] *= bosNorm;
  return x;
}

describe('entropyBound (Queipo-de-Llano et al. 2025)', () => {
  it('holds for a planted massive row among unit rows, and goes to 0 as the norm grows', () => {
    const T = 32;
    const d = 64;
    let previous = Infinity;
    for (const norm of [1, 2, 5, 10, 30, 100, 1000]) {
      const x = planted(T, d, norm, 11);
      const b = entropyBound(x, T, d);
      const h = matrixEntropy(x, T, d).shannon;
      expect(h).toBeLessThanOrEqual(b.bound + 1e-12);
      expect(b.bound).toBeLessThanOrEqual(b.boundAlpha0 + 1e-15);
      expect(b.bound).toBeLessThan(previous);
      previous = b.bound;
      expect(b.c).toBeCloseTo((norm * norm) / (T - 1), 10);
      expect(b.bosNormRatio).toBeCloseTo(norm, 10);
      expect(b.rank).toBe(T);
      expect(b.rankSource).toBe('min(T,d)');
      expect(b.seqLen).toBe(T);
      // unit rows: the weighted alpha is the plain mean of cos^2
      expect(b.alpha).toBeCloseTo(b.alphaUnweighted, 12);
    }
    expect(previous).toBeLessThan(1e-3);
  });

  it('is tight when the others are orthonormal and orthogonal to BOS (top share c/(c+1), rest even)', () => {
    const T = 8;
    const d = 8;
    for (const m of [1, 3, 20]) {
      const x = new Float64Array(T * d);
      x[0] = m;
      for (let t = 1; t < T; t++) x[t * d + t] = 1;
      const b = entropyBound(x, T, d);
      expect(b.alpha).toBe(0);
      expect(b.c).toBeCloseTo((m * m) / (T - 1), 14);
      expect(matrixEntropy(x, T, d).shannon).toBeCloseTo(b.bound, 12);
      expect(b.bound).toBe(b.boundAlpha0);
    }
  });

  it('alpha is the norm-weighted mean of cos^2 (the quantity the proof needs)', () => {
    // BOS e1; token 1 = 3 e1 (cos^2 1, ||.||^2 9); token 2 = e2 (cos^2 0, ||.||^2 1)
    const x = new Float64Array([1, 0, 3, 0, 0, 1]);
    const b = entropyBound(x, 3, 2);
    expect(b.alpha).toBeCloseTo(0.9, 15);
    expect(b.alphaUnweighted).toBeCloseTo(0.5, 15);
    expect(b.c).toBeCloseTo(0.1, 15);
    // p = (c + alpha) / (c + 1) = 1 / 1.1; X^T X = diag(10, 1), so the top share 10 / 11 equals it
    expect(b.topShareLowerBound).toBeCloseTo(10 / 11, 15);
    expect(matrixEntropy(x, 3, 2).eigenvalues[0]).toBeCloseTo(b.topShareLowerBound, 14);
  });

  it('uses a given rank and never drops below the uniform maximum for small c', () => {
    expect(entropyUpperBound(0, 10)).toBeCloseTo(Math.log(10), 15);
    expect(entropyUpperBound(0.05, 10)).toBeCloseTo(Math.log(10), 15);
    expect(entropyUpperBound(1, 10)).toBe(0);
    expect(entropyUpperBound(0.5, 1)).toBe(0);
    const x = planted(6, 4, 3, 2);
    const b = entropyBound(x, 6, 4, { rank: 3 });
    expect(b.rankSource).toBe('given');
    expect(b.bound).toBeLessThan(entropyBound(x, 6, 4).bound);
    expect(() => entropyBound(x, 6, 4, { rank: 5 })).toThrow(/rank must be an integer in 1..min\(T, d\) = 4/);
  });
});
