/**
 * An independent float64 reference for the tests: the cyclic Jacobi eigenvalue method (rotations
 * that zero each off-diagonal entry in turn until the off-diagonal mass is negligible). It shares
 * no code and no algorithm with the Householder + QL solver under test, and converges for every
 * symmetric matrix. O(n^3) per sweep: only for the tests' small matrices.
 */
export function jacobiEigenvalues(input: ArrayLike<number>, n: number): Float64Array {
  const a = Float64Array.from(input as ArrayLike<number>);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    let total = 0;
    for (let i = 0; i < n; i++) {
      for (let j = 0; j < n; j++) {
        total += a[i * n + j] ** 2;
        if (i !== j) off += a[i * n + j] ** 2;
      }
    }
    if (off <= 1e-30 * total || off === 0) break;
    for (let p = 0; p < n - 1; p++) {
      for (let q = p + 1; q < n; q++) {
        const apq = a[p * n + q];
        if (apq === 0) continue;
        const theta = (a[q * n + q] - a[p * n + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < n; k++) {
          const akp = a[k * n + p];
          const akq = a[k * n + q];
          a[k * n + p] = c * akp - s * akq;
          a[k * n + q] = s * akp + c * akq;
        }
        for (let k = 0; k < n; k++) {
          const apk = a[p * n + k];
          const aqk = a[q * n + k];
          a[p * n + k] = c * apk - s * aqk;
          a[q * n + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Float64Array.from({ length: n }, (_, i) => a[i * n + i]).sort().reverse();
}

/** X X^T in plain float64 loops (the reference Gram). */
export function referenceGram(x: ArrayLike<number>, rows: number, cols: number): Float64Array {
  const g = new Float64Array(rows * rows);
  for (let i = 0; i < rows; i++)
    for (let j = 0; j < rows; j++) {
      let s = 0;
      for (let c = 0; c < cols; c++) s += x[i * cols + c] * x[j * cols + c];
      g[i * rows + j] = s;
    }
  return g;
}
