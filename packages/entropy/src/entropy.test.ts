import { describe, expect, it } from 'vitest';
import { randomMatrix, unitRows } from '../test/random.js';
import { matrixEntropy, renyiEntropy, shannonEntropy } from './entropy.js';

/** T orthogonal rows of norm `scale` in d >= T dims: a random rotation of scale * I. */
function orthogonalRows(T: number, d: number, scale: number, seed: number): Float64Array {
  const q = randomMatrix(T, d, seed);
  for (let i = 0; i < T; i++) {
    // Gram-Schmidt, twice for float64 orthogonality
    for (let pass = 0; pass < 2; pass++) {
      for (let j = 0; j < i; j++) {
        let dot = 0;
        for (let c = 0; c < d; c++) dot += q[i * d + c] * q[j * d + c];
        for (let c = 0; c < d; c++) q[i * d + c] -= dot * q[j * d + c];
      }
    }
    let n = 0;
    for (let c = 0; c < d; c++) n += q[i * d + c] ** 2;
    for (let c = 0; c < d; c++) q[i * d + c] /= Math.sqrt(n);
  }
  return q.map((v) => v * scale);
}

describe('matrixEntropy', () => {
  it('orthogonal rows of equal norm: every entropy is ln T (normalised 1)', () => {
    const T = 12;
    const e = matrixEntropy(orthogonalRows(T, 40, 3.5, 1), T, 40, { renyiAlphas: [0.5, Infinity] });
    expect(e.shannon).toBeCloseTo(Math.log(T), 12);
    expect(e.shannonNormalized).toBeCloseTo(1, 12);
    expect(e.renyi2).toBeCloseTo(Math.log(T), 12);
    expect(e.renyi2Normalized).toBeCloseTo(1, 12);
    expect(e.renyi['0.5']).toBeCloseTo(Math.log(T), 12);
    expect(e.renyi.Infinity).toBeCloseTo(Math.log(T), 12);
    expect(e.numericRank).toBe(T);
  });

  it('rank one: entropy 0', () => {
    const T = 20;
    const d = 30;
    const v = randomMatrix(1, d, 2);
    const x = new Float32Array(T * d);
    for (let t = 0; t < T; t++) for (let c = 0; c < d; c++) x[t * d + c] = (t + 1) * v[c];
    const e = matrixEntropy(x, T, d);
    expect(Math.abs(e.shannon)).toBeLessThan(1e-12);
    expect(Math.abs(e.renyi2)).toBeLessThan(1e-12);
    expect(e.eigenvalues[0]).toBeCloseTo(1, 12);
    expect(e.numericRank).toBe(1);
  });

  it('hand-computed 2 x 2: singular values 3 and 4 give shares 9/25 and 16/25', () => {
    // a rotation of diag(3, 4) by 30 degrees: same singular values
    const c = Math.cos(Math.PI / 6);
    const s = Math.sin(Math.PI / 6);
    const x = new Float64Array([3 * c, -3 * s, 4 * s, 4 * c]);
    const e = matrixEntropy(x, 2, 2, { renyiAlphas: [0.5, 3, Infinity] });
    expect(e.eigenvalues[0]).toBeCloseTo(0.64, 15);
    expect(e.eigenvalues[1]).toBeCloseTo(0.36, 15);
    expect(e.shannon).toBeCloseTo(-(0.36 * Math.log(0.36) + 0.64 * Math.log(0.64)), 14);
    expect(e.renyi2).toBeCloseTo(-Math.log(0.36 ** 2 + 0.64 ** 2), 14); // -ln 0.5392
    expect(e.renyi2Normalized).toBeCloseTo(-Math.log(0.5392) / Math.log(2), 14);
    expect(e.renyi['0.5']).toBeCloseTo(2 * Math.log(0.6 + 0.8), 14);
    expect(e.renyi['3']).toBeCloseTo(-0.5 * Math.log(0.36 ** 3 + 0.64 ** 3), 14);
    expect(e.renyi.Infinity).toBeCloseTo(-Math.log(0.64), 14);
  });

  it('Gram (T x T) and covariance (d x d) paths agree, for T < d and T > d', () => {
    for (const [T, d] of [
      [10, 33],
      [33, 10],
    ]) {
      const x = randomMatrix(T, d, T * 100 + d);
      const gram = matrixEntropy(x, T, d, { method: 'gram' });
      const cov = matrixEntropy(x, T, d, { method: 'covariance' });
      const auto = matrixEntropy(x, T, d);
      expect(auto.method).toBe(T <= d ? 'gram' : 'covariance');
      expect(gram.shannon).toBeCloseTo(cov.shannon, 12);
      expect(gram.renyi2).toBeCloseTo(cov.renyi2, 12);
      const r = Math.min(T, d);
      for (let i = 0; i < r; i++) expect(gram.eigenvalues[i]).toBeCloseTo(cov.eigenvalues[i], 14);
      expect(Math.max(gram.numericRank, cov.numericRank)).toBe(r);
    }
  });

  it('centring and normalising are opt-in and reported', () => {
    const T = 6;
    const d = 8;
    const base = unitRows(T, d, 5);
    // every token shifted by one offset and scaled differently: raw entropy changes, processed does not
    const shifted = base.map((v, i) => (v + (i % d === 0 ? 50 : 0)) * (1 + Math.floor(i / d)));
    const raw = matrixEntropy(shifted, T, d);
    expect(raw.options).toEqual({ center: false, normalize: false });
    expect(raw.shannon).toBeLessThan(0.5 * matrixEntropy(base, T, d).shannon);
    const centred = matrixEntropy(base.map((v, i) => v + (i % d === 0 ? 50 : 0)), T, d, { center: true });
    expect(centred.options).toEqual({ center: true, normalize: false });
    expect(centred.shannon).toBeCloseTo(matrixEntropy(base, T, d, { center: true }).shannon, 10);
    const normalised = matrixEntropy(base.map((v, i) => v * (1 + Math.floor(i / d))), T, d, { normalize: true });
    expect(normalised.shannon).toBeCloseTo(matrixEntropy(base, T, d).shannon, 12);
  });

  it('rejects bad input with a message naming the problem', () => {
    expect(() => matrixEntropy(new Float32Array(6), 3, 2)).toThrow(/all zeros/);
    expect(() => matrixEntropy(new Float32Array(5), 3, 2)).toThrow(/X has 5 values but shape \[T=3, d=2\] needs 6/);
    expect(() => matrixEntropy(new Float32Array(2), 1, 2)).toThrow(/T must be an integer >= 2/);
    expect(() => matrixEntropy(new Float32Array([1, NaN, 0, 1]), 2, 2)).toThrow(/NaN or Infinity/);
    expect(() => matrixEntropy(new Float32Array([1, 0, 0, 1]), 2, 2, { renyiAlphas: [0] })).toThrow(/order must be > 0/);
  });
});

describe('shannonEntropy / renyiEntropy', () => {
  it('skip non-positive shares (numerical zeros) and treat alpha = 1 as Shannon', () => {
    const p = [0.5, 0.5, 0, -1e-17];
    expect(shannonEntropy(p)).toBeCloseTo(Math.log(2), 15);
    expect(renyiEntropy(p, 1)).toBe(shannonEntropy(p));
    expect(renyiEntropy(p, 2)).toBeCloseTo(Math.log(2), 15);
  });
});
