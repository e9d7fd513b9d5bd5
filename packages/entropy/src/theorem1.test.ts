import { SeededRandom } from '@sinkscope/datasets';
import { describe, expect, it } from 'vitest';
import { jacobiEigenvalues, referenceGram } from '../test/jacobi.js';
import { gaussian } from '../test/random.js';
import { theorem1, topShareEntropyCeiling } from './theorem1.js';

/**
 * A random X [T, d] with a planted first row: Gaussian rows, row 0 scaled by `bosNorm`, and every other
 * row pulled towards row 0's direction by `pull` (so the alignment alpha ranges over (0, 1)).
 */
function plantedRow(T: number, d: number, bosNorm: number, pull: number, seed: number): Float64Array {
  const g = gaussian(seed);
  const x = Float64Array.from({ length: T * d }, g);
  let n0 = 0;
  for (let c = 0; c < d; c++) n0 += x[c] * x[c];
  for (let c = 0; c < d; c++) x[c] *= bosNorm / Math.sqrt(n0);
  for (let t = 1; t < T; t++) for (let c = 0; c < d; c++) x[t * d + c] += (pull * x[c]) / bosNorm;
  return x;
}

/** The theorem's inputs straight from the definitions, in plain loops (not the code under test). */
function referenceParts(x: Float64Array, T: number, d: number) {
  let M = 0;
  for (let c = 0; c < d; c++) M += x[c] * x[c];
  let R = 0;
  let weighted = 0;
  for (let t = 1; t < T; t++) {
    let n2 = 0;
    let dot = 0;
    for (let c = 0; c < d; c++) {
      n2 += x[t * d + c] ** 2;
      dot += x[t * d + c] * x[c];
    }
    R += n2;
    weighted += n2 * (dot * dot) / (n2 * M); // |x_t|^2 cos^2
  }
  return { M, R, alpha: weighted / R };
}

/** sigma_1^2 by power iteration on X^T X (d x d), independent of the Gram + QL path under test. */
function powerSigma1Sq(x: Float64Array, T: number, d: number): number {
  let v = Float64Array.from({ length: d }, (_, i) => 1 + ((i * 7919) % 13) / 13);
  let lambda = 0;
  for (let it = 0; it < 5000; it++) {
    const xv = new Float64Array(T);
    for (let t = 0; t < T; t++) for (let c = 0; c < d; c++) xv[t] += x[t * d + c] * v[c];
    const w = new Float64Array(d);
    for (let t = 0; t < T; t++) for (let c = 0; c < d; c++) w[c] += x[t * d + c] * xv[t];
    const norm = Math.hypot(...w);
    const next = norm / Math.hypot(...v);
    v = w.map((a) => a / norm);
    if (Math.abs(next - lambda) <= 1e-15 * next) return next;
    lambda = next;
  }
  return lambda;
}

describe('theorem1 (Queipo-de-Llano et al. 2025, Theorem 1 and corollary)', () => {
  it('the bounds hold on 300 random planted-row matrices, T 8..100, d 16..256', () => {
    const rng = SeededRandom.mulberry32(2025);
    let defined = 0;
    for (let i = 0; i < 300; i++) {
      const T = 8 + rng.nextInt(93);
      const d = 16 + rng.nextInt(241);
      const bosNorm = Math.exp(rng.nextFloat() * Math.log(2000)); // 1 .. 2000 x a typical row norm of sqrt(d)
      const x = plantedRow(T, d, bosNorm * Math.sqrt(d), rng.nextFloat() * 3, 100 + i);
      const s = theorem1(x, T, d);
      const ref = referenceParts(x, T, d);
      expect(s.bosSqNorm / ref.M).toBeCloseTo(1, 12);
      expect(s.restSqNorm / ref.R).toBeCloseTo(1, 12);
      expect(s.alignment).toBeCloseTo(ref.alpha, 12);
      expect(s.c / (ref.M / ref.R)).toBeCloseTo(1, 12);
      expect(s.rank).toBe(Math.min(T, d));
      // Theorem 1 and its consequences
      expect(s.sigma1Sq).toBeGreaterThanOrEqual(s.sigma1SqLower * (1 - 1e-12));
      expect(s.p1).toBeGreaterThanOrEqual(s.p1Lower - 1e-12);
      expect(s.dominance).toBeGreaterThanOrEqual(s.dominanceLower * (1 - 1e-10));
      expect(s.p1Lower).toBeCloseTo((ref.M + ref.alpha * ref.R) / (ref.M + ref.R), 12);
      expect(s.dominanceLower).toBeCloseTo((ref.M / ref.R + ref.alpha) / (1 - ref.alpha), 8);
      // the corollary, where it applies
      expect(s.entropyUpper === null).toBe(s.p1Lower < 1 / s.rank);
      if (s.entropyUpper !== null) {
        defined++;
        expect(s.entropy).toBeLessThanOrEqual(s.entropyUpper + 1e-12);
        expect(s.entropyUpperRankNormalized).toBeCloseTo(s.entropyUpper / Math.log(s.rank), 12);
      }
      expect(s.entropyRankNormalized).toBeCloseTo(s.entropy / Math.log(s.rank), 12);
    }
    expect(defined).toBeGreaterThan(200);
  });

  it('p1, dominance, sigma_1^2 and H equal a float64 reference (Jacobi on X X^T, power iteration on X^T X)', () => {
    const rng = SeededRandom.mulberry32(7);
    for (let i = 0; i < 25; i++) {
      const T = 8 + rng.nextInt(40);
      const d = 16 + rng.nextInt(100);
      const x = plantedRow(T, d, (1 + rng.nextFloat() * 30) * Math.sqrt(d), rng.nextFloat() * 2, 500 + i);
      const s = theorem1(x, T, d);
      const ev = jacobiEigenvalues(referenceGram(x, T, d), T).map((v) => Math.max(v, 0));
      const trace = ev.reduce((a, b) => a + b, 0);
      const shares = ev.map((v) => v / trace);
      const h = -shares.reduce((a, p) => a + (p > 0 ? p * Math.log(p) : 0), 0);
      expect(s.sigma1Sq / ev[0]).toBeCloseTo(1, 10);
      expect(s.sigma1Sq / powerSigma1Sq(x, T, d)).toBeCloseTo(1, 9);
      expect(s.p1).toBeCloseTo(shares[0], 12);
      expect(s.dominance / (ev[0] / (trace - ev[0]))).toBeCloseTo(1, 9);
      expect(s.entropy).toBeCloseTo(h, 10);
    }
  });

  it('rank one: p1 = 1, H = 0, alignment 1, dominance and its bound infinite', () => {
    const T = 12;
    const d = 20;
    const g = gaussian(3);
    const v = Float64Array.from({ length: d }, g);
    const x = new Float64Array(T * d);
    for (let t = 0; t < T; t++) for (let c = 0; c < d; c++) x[t * d + c] = (t % 2 ? -1 : 1) * (t + 2) * v[c];
    const s = theorem1(x, T, d);
    expect(s.p1).toBeCloseTo(1, 14);
    expect(Math.abs(s.entropy)).toBeLessThan(1e-12);
    expect(s.alignment).toBeCloseTo(1, 14);
    expect(s.p1Lower).toBeCloseTo(1, 14);
    expect(s.rank).toBe(1);
    expect(s.dominance).toBe(Infinity);
    expect(s.dominanceLower).toBeGreaterThan(1e12); // alpha = 1 up to round-off
    expect(s.entropyUpper).toBe(0);
    expect(s.entropyRankNormalized).toBeNull();
    expect(s.sigma1Sq / s.sigma1SqLower).toBeCloseTo(1, 12);
  });

  it('x_0 orthogonal to every other token: alpha = 0, p = c / (c + 1), dominance bound = c', () => {
    const T = 10;
    const d = 16;
    const g = gaussian(5);
    const x = Float64Array.from({ length: T * d }, g);
    for (let c = 0; c < d; c++) x[c] = c === 0 ? 40 : 0;
    for (let t = 1; t < T; t++) x[t * d] = 0;
    const s = theorem1(x, T, d);
    expect(s.alignment).toBe(0);
    expect(s.p1Lower).toBeCloseTo(s.c / (s.c + 1), 15);
    expect(s.dominanceLower).toBeCloseTo(s.c, 15);
    expect(s.sigma1SqLower).toBe(1600);
    // x_0 is then an exact singular direction: sigma_1^2 = max(M, the top of the rest)
    expect(s.sigma1Sq).toBeGreaterThanOrEqual(1600 * (1 - 1e-14));
  });

  it('the corollary is null below p = 1/r, and f(1/r) = ln r (the uniform spectrum)', () => {
    const T = 40;
    const d = 64;
    const x = plantedRow(T, d, 1e-3, 0, 9); // a tiny first row: p ~ 0 < 1/r
    const s = theorem1(x, T, d);
    expect(s.p1Lower).toBeLessThan(1 / s.rank);
    expect(s.entropyUpper).toBeNull();
    expect(s.entropyUpperRankNormalized).toBeNull();
    expect(topShareEntropyCeiling(1 / 17, 17)).toBeCloseTo(Math.log(17), 14);
    expect(topShareEntropyCeiling(1, 17)).toBe(0);
  });
});
