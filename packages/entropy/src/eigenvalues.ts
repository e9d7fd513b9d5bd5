/**
 * Eigenvalues (only) of a dense real symmetric matrix: Householder reduction to tridiagonal form
 * followed by the implicit QL iteration with Wilkinson-style shifts, without accumulating any
 * eigenvector. This is the EISPACK pair tred1 + tql1 (Wilkinson and Reinsch, *Handbook for
 * Automatic Computation II*, 1971, contributions II/2 and II/3), the eigenvalue-only halves of the
 * tred2 + tql2 that ml-matrix's `EigenvalueDecomposition` runs. No maintained npm package offers an
 * eigenvalues-only symmetric solver (ml-matrix always builds the vectors, @stdlib/lapack has no
 * dsterf/dsyev), and the vectors are most of the cost: tred2 accumulates an n x n orthogonal
 * matrix and tql2 rotates it at every QL step (O(n^3) per sweep instead of O(n)).
 * Tested against ml-matrix's decomposition and an independent Jacobi solver (eigenvalues.test.ts).
 */

/**
 * Reduce the symmetric matrix `a` [n * n] (row-major; only the lower triangle is read, and it is
 * overwritten) to tridiagonal form: returns the diagonal `d` and the sub-diagonal `e` (e[0] = 0,
 * e[i] couples i-1 and i).
 */
function householderTridiagonal(a: Float64Array, n: number): { d: Float64Array; e: Float64Array } {
  const d = new Float64Array(n);
  const e = new Float64Array(n);
  for (let i = n - 1; i > 0; i--) {
    const l = i - 1;
    const ri = i * n;
    let h = 0;
    if (l > 0) {
      let scale = 0;
      for (let k = 0; k <= l; k++) scale += Math.abs(a[ri + k]);
      if (scale === 0) {
        e[i] = a[ri + l];
      } else {
        // the Householder vector u = row i left of the diagonal, scaled to avoid under/overflow
        for (let k = 0; k <= l; k++) {
          a[ri + k] /= scale;
          h += a[ri + k] * a[ri + k];
        }
        let f = a[ri + l];
        const g = f >= 0 ? -Math.sqrt(h) : Math.sqrt(h);
        e[i] = scale * g;
        h -= f * g;
        a[ri + l] = f - g;
        // p = A u / h into e[0..l] from the lower triangle, row by row (a symmetric matrix-vector
        // product in which each stored entry a[j][k], k < j, feeds both p_j and p_k, so every inner
        // loop runs along a row); then K = u.p / (2h), q = p - K u, A := A - q u^T - u q^T
        for (let j = 0; j <= l; j++) e[j] = 0;
        for (let j = 0; j <= l; j++) {
          const rj = j * n;
          const uj = a[ri + j];
          let s = a[rj + j] * uj;
          for (let k = 0; k < j; k++) {
            const ajk = a[rj + k];
            s += ajk * a[ri + k];
            e[k] += ajk * uj;
          }
          e[j] += s;
        }
        f = 0;
        for (let j = 0; j <= l; j++) {
          e[j] /= h;
          f += e[j] * a[ri + j];
        }
        const hh = f / (h + h);
        for (let j = 0; j <= l; j++) e[j] -= hh * a[ri + j];
        for (let j = 0; j <= l; j++) {
          const uj = a[ri + j];
          const qj = e[j];
          const rj = j * n;
          for (let k = 0; k <= j; k++) a[rj + k] -= uj * e[k] + qj * a[ri + k];
        }
      }
    } else {
      e[i] = a[ri + l];
    }
    d[i] = h;
  }
  // the diagonal of the reduced matrix
  for (let i = 0; i < n; i++) d[i] = a[i * n + i];
  e[0] = 0;
  return { d, e };
}

/**
 * Eigenvalues of the symmetric tridiagonal matrix (d, e) by the implicit QL method with shifts
 * (tql1): `d` is overwritten with the eigenvalues (unordered), `e` is destroyed.
 */
function tridiagonalQl(d: Float64Array, e: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) e[i - 1] = e[i];
  if (n > 0) e[n - 1] = 0;
  let f = 0;
  let tst1 = 0;
  for (let l = 0; l < n; l++) {
    tst1 = Math.max(tst1, Math.abs(d[l]) + Math.abs(e[l]));
    // the first negligible sub-diagonal element at or after l splits the matrix
    let m = l;
    while (m < n - 1 && Math.abs(e[m]) > Number.EPSILON * tst1) m++;
    if (m > l) {
      let iterations = 0;
      do {
        if (++iterations > 60) throw new Error(`symmetric eigenvalues: QL did not converge for eigenvalue ${l} of ${n}`);
        // Wilkinson shift from the leading 2 x 2 block
        let g = d[l];
        let p = (d[l + 1] - g) / (2 * e[l]);
        let r = Math.hypot(p, 1);
        if (p < 0) r = -r;
        d[l] = e[l] / (p + r);
        d[l + 1] = e[l] * (p + r);
        const dl1 = d[l + 1];
        let h = g - d[l];
        for (let i = l + 2; i < n; i++) d[i] -= h;
        f += h;
        // the implicit QL sweep from m up to l
        p = d[m];
        let c = 1;
        let c2 = c;
        let c3 = c;
        const el1 = e[l + 1];
        let s = 0;
        let s2 = 0;
        for (let i = m - 1; i >= l; i--) {
          c3 = c2;
          c2 = c;
          s2 = s;
          g = c * e[i];
          h = c * p;
          r = Math.hypot(p, e[i]);
          e[i + 1] = s * r;
          s = e[i] / r;
          c = p / r;
          p = c * d[i] - s * g;
          d[i + 1] = h + s * (c * g + s * d[i]);
        }
        p = (-s * s2 * c3 * el1 * e[l]) / dl1;
        e[l] = s * p;
        d[l] = c * p;
      } while (Math.abs(e[l]) > Number.EPSILON * tst1);
    }
    d[l] += f;
    e[l] = 0;
  }
}

/**
 * Eigenvalues of the dense symmetric matrix `a` [n * n] (row-major; only the lower triangle is
 * read; `a` is left unchanged), largest first. 4n^3/3 flops for the reduction, every inner loop
 * along a row, plus O(n^2) for QL.
 */
export function symmetricEigenvaluesOnly(a: Float64Array, n: number): Float64Array {
  if (!Number.isInteger(n) || n < 0 || a.length !== n * n) throw new RangeError(`symmetricEigenvaluesOnly: a has ${a.length} values, not n * n for n = ${n}`);
  if (n === 0) return new Float64Array(0);
  const work = Float64Array.from(a);
  const { d, e } = householderTridiagonal(work, n);
  tridiagonalQl(d, e, n);
  return d.sort().reverse();
}
