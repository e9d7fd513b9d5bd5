import type { Activations } from './validate.js';

/**
 * G = X X^T for X [rows, cols] row-major, as a dense symmetric Float64Array [rows * rows], products
 * accumulated in float64. Rows are taken two at a time against four others, so each loaded value
 * feeds several products (about 2x the speed of one dot product at a time in V8); only the upper
 * triangle is computed, then mirrored.
 */
export function gramMatrix(x: Activations, rows: number, cols: number): Float64Array {
  const n = rows;
  const d = cols;
  const G = new Float64Array(n * n);
  let i = 0;
  for (; i + 1 < n; i += 2) {
    const a0 = i * d;
    const a1 = a0 + d;
    let j = i;
    for (; j + 3 < n; j += 4) {
      const b0 = j * d;
      const b1 = b0 + d;
      const b2 = b1 + d;
      const b3 = b2 + d;
      let s00 = 0, s01 = 0, s02 = 0, s03 = 0; // prettier-ignore
      let s10 = 0, s11 = 0, s12 = 0, s13 = 0; // prettier-ignore
      for (let c = 0; c < d; c++) {
        const u = x[a0 + c];
        const v = x[a1 + c];
        const w0 = x[b0 + c];
        const w1 = x[b1 + c];
        const w2 = x[b2 + c];
        const w3 = x[b3 + c];
        s00 += u * w0;
        s01 += u * w1;
        s02 += u * w2;
        s03 += u * w3;
        s10 += v * w0;
        s11 += v * w1;
        s12 += v * w2;
        s13 += v * w3;
      }
      const r0 = i * n + j;
      const r1 = r0 + n;
      G[r0] = s00;
      G[r0 + 1] = s01;
      G[r0 + 2] = s02;
      G[r0 + 3] = s03;
      G[r1] = s10; // (i+1, i) when j = i: below the diagonal, overwritten by the mirror below
      G[r1 + 1] = s11;
      G[r1 + 2] = s12;
      G[r1 + 3] = s13;
    }
    for (; j < n; j++) {
      const b = j * d;
      let s0 = 0;
      let s1 = 0;
      for (let c = 0; c < d; c++) {
        const w = x[b + c];
        s0 += x[a0 + c] * w;
        s1 += x[a1 + c] * w;
      }
      G[i * n + j] = s0;
      G[(i + 1) * n + j] = s1;
    }
  }
  for (; i < n; i++) {
    const a = i * d;
    for (let j = i; j < n; j++) {
      const b = j * d;
      let s = 0;
      for (let c = 0; c < d; c++) s += x[a + c] * x[b + c];
      G[i * n + j] = s;
    }
  }
  for (let r = 1; r < n; r++) for (let c = 0; c < r; c++) G[r * n + c] = G[c * n + r];
  return G;
}

/** X^T X [cols * cols]: the Gram of the transpose, which shares X X^T's non-zero eigenvalues. */
export function covarianceMatrix(x: Activations, rows: number, cols: number): Float64Array {
  const xt = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) xt[c * rows + r] = x[r * cols + c];
  return gramMatrix(xt, cols, rows);
}
