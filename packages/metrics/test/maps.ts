import { SeededRandom } from '@sinkscope/datasets';

/** Small deterministic generators of attention maps for the analytic tests. */

/** Seeded uniform numbers in [0, 1), so tests are reproducible. */
export function rng(seed: number): () => number {
  const r = SeededRandom.mulberry32(seed);
  return () => r.nextUnit();
}

/** [H, T, T] map built row by row from `row(h, t)` (which returns the t+1 causal weights). */
export function causalMap(H: number, T: number, row: (h: number, t: number) => number[]): Float32Array {
  const out = new Float32Array(H * T * T);
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      const w = row(h, t);
      for (let k = 0; k <= t; k++) out[h * T * T + t * T + k] = w[k];
    }
  }
  return out;
}

/** Causal softmax of scores S [H, T, T] (entries above the diagonal ignored), in float64. */
export function causalSoftmax(scores: Float64Array, H: number, T: number): Float64Array {
  const out = new Float64Array(H * T * T);
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < T; t++) {
      const row = h * T * T + t * T;
      let max = -Infinity;
      for (let k = 0; k <= t; k++) max = Math.max(max, scores[row + k]);
      let z = 0;
      for (let k = 0; k <= t; k++) z += Math.exp(scores[row + k] - max);
      for (let k = 0; k <= t; k++) out[row + k] = Math.exp(scores[row + k] - max) / z;
    }
  }
  return out;
}

/** Top-left [T', T'] block of every head of an [H, T, T] map. */
export function prefixBlock(map: Float64Array, H: number, T: number, prefix: number): Float64Array {
  const out = new Float64Array(H * prefix * prefix);
  for (let h = 0; h < H; h++) {
    for (let t = 0; t < prefix; t++) {
      for (let k = 0; k < prefix; k++) out[h * prefix * prefix + t * prefix + k] = map[h * T * T + t * T + k];
    }
  }
  return out;
}

export function harmonic(n: number): number {
  let s = 0;
  for (let i = 1; i <= n; i++) s += 1 / i;
  return s;
}
