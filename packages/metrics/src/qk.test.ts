import { describe, expect, it } from 'vitest';
import { causalIndex, qkDecomposition } from './qk.js';

describe('qkDecomposition', () => {
  it('dot = |q||k| cos for every causal pair, packed row by row', () => {
    // T = 3, hd = 2
    const q = new Float32Array([1, 0, 0, 2, 3, 4]);
    const k = new Float32Array([2, 0, 1, 1, 0, -1]);
    const r = qkDecomposition(q, k, 3, 2);
    expect(r.dot.length).toBe(6);
    expect(Array.from(r.query)).toEqual([0, 1, 1, 2, 2, 2]);
    expect(Array.from(r.key)).toEqual([0, 0, 1, 0, 1, 2]);
    expect(Array.from(r.dot)).toEqual([2, 0, 2, 6, 7, -4]);
    expect(Array.from(r.queryNorms)).toEqual([1, 2, 5]);
    expect(r.keyNorms[1]).toBeCloseTo(Math.SQRT2, 15);
    const i = causalIndex(2, 1);
    expect(r.normProduct[i]).toBeCloseTo(5 * Math.SQRT2, 14);
    expect(r.cos[i]).toBeCloseTo(7 / (5 * Math.SQRT2), 15);
    expect(r.cos[causalIndex(0, 0)]).toBe(1);
    expect(r.cos[causalIndex(1, 0)]).toBe(0);
    for (let j = 0; j < 6; j++) expect(r.dot[j]).toBeCloseTo(r.normProduct[j] * r.cos[j], 14);
    expect(() => causalIndex(1, 2)).toThrow(/not a causal entry/);
  });

  it('a zero vector has cos 0 and the shapes are checked', () => {
    const r = qkDecomposition(new Float32Array([0, 0]), new Float32Array([1, 1]), 1, 2);
    expect(r.cos[0]).toBe(0);
    expect(() => qkDecomposition(new Float32Array(4), new Float32Array(6), 2, 2)).toThrow(/^k has 6 values/);
  });
});
