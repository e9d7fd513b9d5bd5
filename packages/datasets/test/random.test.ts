import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../src/index.js';

/** An independent BigInt re-implementation of splitmix32 seeding + sfc32 (no 32-bit tricks). */
function referenceStream(seed: number, n: number): number[] {
  const M = 2n ** 32n;
  const mix = (x: bigint) => {
    let z = (x + 0x9e3779b9n) % M;
    z = ((z ^ (z >> 16n)) * 0x85ebca6bn) % M;
    z = ((z ^ (z >> 13n)) * 0xc2b2ae35n) % M;
    return z ^ (z >> 16n);
  };
  let a = mix(BigInt(seed));
  let b = mix(a);
  let c = mix(b);
  let d = 1n;
  const next = () => {
    const t = (a + b + d) % M;
    d = (d + 1n) % M;
    a = b ^ (b >> 9n);
    b = (c + c * 8n) % M;
    c = ((c << 21n) % M) | (c >> 11n);
    c = (c + t) % M;
    return Number(t);
  };
  for (let i = 0; i < 12; i++) next();
  return Array.from({ length: n }, next);
}

/** An independent BigInt re-implementation of mulberry32 (no 32-bit tricks). */
function mulberryReference(seed: number, n: number): number[] {
  const M = 2n ** 32n;
  const imul = (a: bigint, b: bigint) => (a * b) % M;
  let a = BigInt(seed >>> 0);
  return Array.from({ length: n }, () => {
    a = (a + 0x6d2b79f5n) % M;
    let t = a;
    t = imul(t ^ (t >> 15n), t | 1n);
    t = t ^ ((t + imul(t ^ (t >> 7n), t | 61n)) % M);
    return Number(t ^ (t >> 14n));
  });
}

describe('SeededRandom.sfc32 (the evaluation sets)', () => {
  it.each([0, 1, 42, 0xffffffff])('matches a BigInt reference of sfc32 for seed %i', (seed) => {
    const rng = SeededRandom.sfc32(seed);
    expect(Array.from({ length: 50 }, () => rng.nextUint32())).toEqual(referenceStream(seed, 50));
  });

  it('is pinned: seed 0 starts with the same words on every machine', () => {
    const rng = SeededRandom.sfc32(0);
    expect(Array.from({ length: 3 }, () => rng.nextUint32())).toEqual([1867980689, 934798985, 2349279181]);
  });

  it('draws integers in range, permutations and samples without repeats', () => {
    const rng = SeededRandom.sfc32(7);
    const draws = Array.from({ length: 1000 }, () => rng.nextInt(3));
    expect(new Set(draws)).toEqual(new Set([0, 1, 2]));
    expect(rng.permutation(10).sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    const sample = rng.sample([...Array(20).keys()], 8);
    expect(new Set(sample).size).toBe(8);
    expect(sample.every((x) => x >= 0 && x < 20)).toBe(true);
  });

  it('rejects seeds outside [0, 2^32)', () => {
    expect(() => SeededRandom.sfc32(-1)).toThrow('seed -1 must be an integer in [0, 2^32)');
    expect(() => SeededRandom.sfc32(1.5)).toThrow('seed 1.5 must be an integer');
  });
});

describe('SeededRandom.mulberry32 (ablation control positions)', () => {
  it.each([0, 7, 123456789, 0xffffffff])('matches a BigInt reference of mulberry32 for seed %i', (seed) => {
    const rng = SeededRandom.mulberry32(seed);
    expect(Array.from({ length: 50 }, () => rng.nextUint32())).toEqual(mulberryReference(seed, 50));
  });

  it('nextUnit is the uint32 over 2^32', () => {
    const [u] = mulberryReference(3, 1);
    expect(SeededRandom.mulberry32(3).nextUnit()).toBe(u / 2 ** 32);
  });
});

describe('SeededRandom (xoshiro128**, the default)', () => {
  it('is xoshiro128**: outputs for state (1, 2, 3, 4) worked by hand from the algorithm', () => {
    // out = rotl(s1 * 5, 7) * 9: s1 = 2 -> 11520; after one update s1 = 0 -> 0; then s1 = 1029 -> 5927040.
    const rng = SeededRandom.fromState(1, 2, 3, 4);
    expect([rng.nextUint32(), rng.nextUint32(), rng.nextUint32()]).toEqual([11520, 0, 5927040]);
  });

  it('seeds through splitmix32: a pinned stream', () => {
    // Pinning the first outputs makes any change to the generator (and so to every world, batch
    // and held-out set) a visible test failure.
    const rng = new SeededRandom(1, 2);
    const first = [rng.nextUint32(), rng.nextUint32(), rng.nextUint32()];
    expect(new SeededRandom(1, 2).nextUint32()).toBe(first[0]);
    expect(first).toMatchInlineSnapshot(`
      [
        2044767390,
        1648092278,
        2232512908,
      ]
    `);
    expect(new SeededRandom(1, 3).nextUint32()).not.toBe(first[0]);
  });

  it('draws uniform floats and normals with the right moments', () => {
    const rng = new SeededRandom(42);
    let sum = 0;
    let sumSq = 0;
    let nSum = 0;
    let nSumSq = 0;
    const n = 100_000;
    let outOfRange = 0;
    for (let i = 0; i < n; i++) {
      const u = rng.nextFloat();
      if (!(u >= 0 && u < 1)) outOfRange++;
      sum += u;
      sumSq += u * u;
      const z = rng.nextNormal();
      nSum += z;
      nSumSq += z * z;
    }
    expect(outOfRange).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2); // sd of the mean 0.0009
    expect(sumSq / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 2);
    expect(nSum / n).toBeCloseTo(0, 1);
    expect(nSumSq / n).toBeCloseTo(1, 1);
  });

  it('nextInt is uniform over [0, n)', () => {
    const rng = new SeededRandom(9);
    const counts = new Array(7).fill(0);
    for (let i = 0; i < 70_000; i++) counts[rng.nextInt(7)]++;
    for (const c of counts) expect(Math.abs(c - 10_000)).toBeLessThan(500); // ~5 sd
  });
});

