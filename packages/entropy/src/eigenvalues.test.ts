import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import { describe, expect, it } from 'vitest';
import { jacobiEigenvalues, referenceGram } from '../test/jacobi.js';
import { randomMatrix } from '../test/random.js';
import { symmetricEigenvaluesOnly } from './eigenvalues.js';

function symmetric(n: number, seed: number): Float64Array {
  const r = randomMatrix(n, n, seed);
  const a = new Float64Array(n * n);
  for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) a[i * n + j] = r[i * n + j] + r[j * n + i];
  return a;
}

const maxAbs = (v: Float64Array) => v.reduce((m, x) => Math.max(m, Math.abs(x)), 0);

describe('symmetricEigenvaluesOnly (Householder + implicit QL, no vectors)', () => {
  it('equals ml-matrix full decomposition and a Jacobi reference on random symmetric and Gram matrices', () => {
    for (const [n, seed] of [[1, 1], [2, 2], [3, 3], [7, 4], [16, 5], [33, 6], [64, 7]] as const) {
      for (const a of [symmetric(n, seed), referenceGram(randomMatrix(n, 2 * n + 3, seed + 100), n, 2 * n + 3)]) {
        const ours = symmetricEigenvaluesOnly(a, n);
        const ml = Float64Array.from(new EigenvalueDecomposition(Matrix.from1DArray(n, n, a), { assumeSymmetric: true }).realEigenvalues).sort().reverse();
        const jac = jacobiEigenvalues(a, n);
        const scale = maxAbs(jac);
        for (let i = 0; i < n; i++) {
          expect(Math.abs(ours[i] - ml[i])).toBeLessThanOrEqual(1e-12 * scale);
          expect(Math.abs(ours[i] - jac[i])).toBeLessThanOrEqual(1e-12 * scale);
        }
      }
    }
  });

  it('diagonal, zero, repeated and rank-deficient matrices; the input is left unchanged', () => {
    expect([...symmetricEigenvaluesOnly(Float64Array.from([3, 0, 0, 0, -1, 0, 0, 0, 2]), 3)]).toEqual([3, 2, -1]);
    expect([...symmetricEigenvaluesOnly(new Float64Array(16), 4)]).toEqual([0, 0, 0, 0]);
    const identity = Float64Array.from({ length: 25 }, (_, i) => (i % 6 === 0 ? 2.5 : 0));
    expect([...symmetricEigenvaluesOnly(identity, 5)].map((v) => +v.toFixed(14))).toEqual([2.5, 2.5, 2.5, 2.5, 2.5]);
    // rank 2 Gram of 10 rows in 2 dims: two positive eigenvalues, eight numerical zeros
    const x = randomMatrix(10, 2, 9);
    const g = referenceGram(x, 10, 2);
    const copy = Float64Array.from(g);
    const ev = symmetricEigenvaluesOnly(g, 10);
    expect(g).toEqual(copy);
    const jac = jacobiEigenvalues(g, 10);
    expect(ev[0]).toBeCloseTo(jac[0], 10);
    expect(ev[1]).toBeCloseTo(jac[1], 10);
    for (let i = 2; i < 10; i++) expect(Math.abs(ev[i])).toBeLessThan(1e-12 * ev[0]);
    expect(() => symmetricEigenvaluesOnly(new Float64Array(5), 2)).toThrow(/n \* n/);
  });

  it('eigenvalue sum and sum of squares equal the trace and the Frobenius norm', () => {
    const n = 50;
    const a = symmetric(n, 42);
    const ev = symmetricEigenvaluesOnly(a, n);
    let trace = 0;
    let frob = 0;
    for (let i = 0; i < n; i++) trace += a[i * n + i];
    for (const v of a) frob += v * v;
    expect(ev.reduce((s, v) => s + v, 0)).toBeCloseTo(trace, 9);
    expect(ev.reduce((s, v) => s + v * v, 0) / frob).toBeCloseTo(1, 12);
  });
});
