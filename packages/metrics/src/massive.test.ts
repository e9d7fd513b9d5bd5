import { describe, expect, it } from 'vitest';
import { emergenceLayer, largestJump } from './emergence.js';
import { MassiveActivationAccumulator, massiveActivations } from './massive.js';
import { medianInPlace } from './select.js';

describe('massiveActivations', () => {
  it('finds a planted massive value with its token, dim and sign', () => {
    const T = 8;
    const d = 16;
    const x = new Float32Array(T * d).map((_, i) => ((i % 7) - 3) * 0.01); // |a| in {0, .01, .02, .03}
    x[0 * d + 3] = -2000;
    x[5 * d + 9] = 150;
    const r = massiveActivations(x, T, d, { topK: 3 });
    expect(r.top[0]).toMatchObject({ token: 0, dim: 3, value: -2000, magnitude: 2000, massive: true });
    // the median |a| is about 0.02, so 150 clears both 100 and 1000 x median
    expect(r.top[1]).toMatchObject({ token: 5, dim: 9, value: 150, massive: true });
    expect(r.top[2].magnitude).toBeCloseTo(0.03, 7);
    expect(r.top[2].massive).toBe(false);
    expect(r.massiveCount).toBe(2);
    const sorted = Float64Array.from(x, Math.abs).sort();
    expect(r.medianMagnitude).toBe((sorted[63] + sorted[64]) / 2);
    expect(r.top[0].ratioToMedian).toBe(2000 / r.medianMagnitude);
  });

  it('needs both thresholds: |a| > 100 and > 1000 x median', () => {
    const x = new Float32Array([500, 1, 1, 1, 1, 1]); // median 1: 500 < 1000
    expect(massiveActivations(x, 2, 3).massiveCount).toBe(0);
    expect(massiveActivations(x, 2, 3, { medianRatio: 400 }).top[0].massive).toBe(true);
    const small = new Float32Array([90, 0, 0, 0]); // median 0 but 90 < 100
    expect(massiveActivations(small, 2, 2).top[0].massive).toBe(false);
  });

  it('ties keep row-major order', () => {
    const x = new Float32Array([1, -5, 5, 2, 5, 0]);
    const r = massiveActivations(x, 3, 2, { topK: 3 });
    expect(r.top.map((t) => [t.token, t.dim, t.value])).toEqual([
      [0, 1, -5],
      [1, 0, 5],
      [2, 0, 5],
    ]);
  });
});

describe('MassiveActivationAccumulator', () => {
  it('keeps the largest activation over sequences and counts massive ones', () => {
    const acc = new MassiveActivationAccumulator({ states: 1 });
    const quiet = new Float32Array([1, 2, 1, 1, 1, 1]);
    const loud = new Float32Array([1, 1, 1, 1, -3000, 1]);
    acc.add(0, quiet, 2, 3);
    acc.add(0, loud, 2, 3);
    acc.add(0, quiet, 2, 3);
    const [r] = acc.result();
    expect(r.topActivation).toMatchObject({ sequence: 1, token: 1, dim: 1, value: -3000, massive: true });
    expect(r).toMatchObject({ meanMedianMagnitude: 1, massiveCount: 1, sequencesWithMassive: 1, numSequences: 3 });
  });
});

describe('medianInPlace', () => {
  it('matches the sorted middle for odd, even and repeated values', () => {
    let seed = 1;
    const rand = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    for (const n of [1, 2, 3, 10, 101, 1000]) {
      for (const repeated of [false, true]) {
        const v = Float64Array.from({ length: n }, () => (repeated ? Math.floor(rand() * 3) : rand()));
        const s = v.slice().sort();
        const expected = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
        expect(medianInPlace(v)).toBe(expected);
      }
    }
  });
});

describe('emergence', () => {
  it('emergenceLayer is the first index strictly above the threshold; largestJump the biggest rise', () => {
    const ratios = [1, 2, 15, 40, 41, 12];
    expect(emergenceLayer(ratios)).toBe(2);
    expect(emergenceLayer(ratios, 15)).toBe(3);
    expect(emergenceLayer(ratios, 50)).toBeNull();
    expect(largestJump(ratios)).toBe(3);
    expect(largestJump([1, 5, 9])).toBe(1); // tie: first
    expect(largestJump([3])).toBeNull();
    expect(() => largestJump([1, NaN])).toThrow(/ratios\[1\] is NaN/);
  });
});
