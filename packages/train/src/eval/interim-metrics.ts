/**
 * Minimal private versions of the sink, norm and entropy metrics, kept in this one file until the
 * trainer switches to @sinkscope/metrics and @sinkscope/entropy. Definitions follow
 * fixtures/hf/README.md ("Metrics"), all in float64.
 */

/** Gu et al. 2025 sink threshold for Sink_1^eps. */
export const SINK_EPS = 0.3;

/**
 * alpha_1 of one attention map: mean over all T query rows of A[t, 0] (Gu et al. 2025, sec. 3,
 * alpha_k with k = 1; row 0, where A[0,0] = 1, included). `probs` is [T, T] row-major.
 */
export function firstKeyAlpha(probs: ArrayLike<number>, T: number, offset = 0): number {
  let sum = 0;
  for (let t = 0; t < T; t++) sum += probs[offset + t * T];
  return sum / T;
}

/** Accumulates the strict indicator alpha > eps per (sequence, layer, head); Sink_1 rates. */
export class SinkRateAccumulator {
  private readonly hits: Float64Array;
  private readonly alphaSum: Float64Array;
  private sequences = 0;

  constructor(
    readonly numLayers: number,
    readonly numHeads: number,
    readonly eps = SINK_EPS,
  ) {
    this.hits = new Float64Array(numLayers * numHeads);
    this.alphaSum = new Float64Array(numLayers * numHeads);
  }

  /** alphas[l][h] of one sequence. */
  addSequence(alphas: readonly (readonly number[])[]): void {
    if (alphas.length !== this.numLayers) throw new Error(`SinkRateAccumulator: got ${alphas.length} layers, expected ${this.numLayers}`);
    alphas.forEach((row, l) => {
      if (row.length !== this.numHeads) throw new Error(`SinkRateAccumulator: layer ${l} has ${row.length} heads, expected ${this.numHeads}`);
      row.forEach((a, h) => {
        this.alphaSum[l * this.numHeads + h] += a;
        if (a > this.eps) this.hits[l * this.numHeads + h] += 1;
      });
    });
    this.sequences += 1;
  }

  /** Mean over sequences, layers and heads of 1[alpha > eps], and the same per layer. */
  result(): { sinkRate: number; perLayerSinkRate: number[]; meanAlpha: number[][] } {
    if (this.sequences === 0) throw new Error('SinkRateAccumulator: no sequences added');
    const H = this.numHeads;
    const perLayerSinkRate = Array.from({ length: this.numLayers }, (_, l) => this.hits.subarray(l * H, (l + 1) * H).reduce((a, b) => a + b, 0) / (H * this.sequences));
    const meanAlpha = Array.from({ length: this.numLayers }, (_, l) => Array.from(this.alphaSum.subarray(l * H, (l + 1) * H), (x) => x / this.sequences));
    return { sinkRate: perLayerSinkRate.reduce((a, b) => a + b, 0) / this.numLayers, perLayerSinkRate, meanAlpha };
  }
}

/** Accumulates ||h_first|| and the mean ||h_t|| of the other tokens per sequence; ratio of the means. */
export class FirstTokenNormAccumulator {
  private first = 0;
  private rest = 0;
  private sequences = 0;

  /** One sequence's hidden state, [T, d] row-major at `offset`. */
  addSequence(hidden: ArrayLike<number>, T: number, d: number, offset = 0): void {
    if (T < 2) throw new Error('FirstTokenNormAccumulator: need T >= 2');
    let restSum = 0;
    for (let t = 0; t < T; t++) {
      let sq = 0;
      for (let j = 0; j < d; j++) {
        const x = hidden[offset + t * d + j];
        sq += x * x;
      }
      if (t === 0) this.first += Math.sqrt(sq);
      else restSum += Math.sqrt(sq);
    }
    this.rest += restSum / (T - 1);
    this.sequences += 1;
  }

  /** mean_s ||h_1|| / mean_s mean_{t>1} ||h_t||. */
  ratio(): number {
    if (this.sequences === 0) throw new Error('FirstTokenNormAccumulator: no sequences added');
    return this.first / this.rest;
  }
}

/**
 * Eigenvalues of a symmetric n x n matrix (row-major; overwritten): Householder reduction to
 * tridiagonal form, then implicit QL with Wilkinson shifts (Golub & Van Loan, secs. 8.3.1, 8.3.5;
 * Numerical Recipes `tqli`), eigenvalues only. O(n^3), in float64.
 */
export function symmetricEigenvalues(a: Float64Array, n: number): Float64Array {
  const d = new Float64Array(n);
  const e = new Float64Array(n); // e[k] couples k and k+1
  const v = new Float64Array(n);
  const p = new Float64Array(n);
  for (let k = 0; k < n - 2; k++) {
    let norm = 0;
    for (let i = k + 1; i < n; i++) norm += a[i * n + k] * a[i * n + k];
    norm = Math.sqrt(norm);
    const x0 = a[(k + 1) * n + k];
    const alpha = x0 > 0 ? -norm : norm;
    d[k] = a[k * n + k];
    e[k] = alpha;
    // v = (x - alpha e1) / ||x - alpha e1||; H = I - 2 v v^T maps x to alpha e1.
    let vNorm = 0;
    for (let i = k + 1; i < n; i++) {
      v[i] = a[i * n + k] - (i === k + 1 ? alpha : 0);
      vNorm += v[i] * v[i];
    }
    if (vNorm === 0) continue; // column already reduced
    vNorm = Math.sqrt(vNorm);
    for (let i = k + 1; i < n; i++) v[i] /= vNorm;
    // A22 <- H A22 H = A22 - v w^T - w v^T with p = A22 v, w = 2 p - 2 (v^T p) v.
    let vp = 0;
    for (let i = k + 1; i < n; i++) {
      let s = 0;
      for (let j = k + 1; j < n; j++) s += a[i * n + j] * v[j];
      p[i] = s;
      vp += v[i] * s;
    }
    for (let i = k + 1; i < n; i++) p[i] = 2 * p[i] - 2 * vp * v[i];
    for (let i = k + 1; i < n; i++) for (let j = k + 1; j < n; j++) a[i * n + j] -= v[i] * p[j] + p[i] * v[j];
  }
  if (n >= 2) {
    d[n - 2] = a[(n - 2) * n + n - 2];
    e[n - 2] = a[(n - 1) * n + n - 2];
  }
  if (n >= 1) d[n - 1] = a[(n - 1) * n + n - 1];
  e[n - 1] = 0;
  for (let l = 0; l < n; l++) {
    for (let iter = 0; ; iter++) {
      let m = l;
      for (; m < n - 1; m++) {
        const dd = Math.abs(d[m]) + Math.abs(d[m + 1]);
        if (Math.abs(e[m]) <= Number.EPSILON * dd) break;
      }
      if (m === l) break;
      if (iter === 100) throw new Error('symmetricEigenvalues: QL iteration did not converge');
      let g = (d[l + 1] - d[l]) / (2 * e[l]);
      let r = Math.hypot(g, 1);
      g = d[m] - d[l] + e[l] / (g + (g >= 0 ? r : -r));
      let s = 1;
      let c = 1;
      let shift = 0;
      let i = m - 1;
      for (; i >= l; i--) {
        const f = s * e[i];
        const b = c * e[i];
        r = Math.hypot(f, g);
        e[i + 1] = r;
        if (r === 0) {
          d[i + 1] -= shift;
          e[m] = 0;
          break;
        }
        s = f / r;
        c = g / r;
        g = d[i + 1] - shift;
        r = (d[i] - g) * s + 2 * c * b;
        shift = s * r;
        d[i + 1] = g + shift;
        g = c * r - b;
      }
      if (r === 0 && i >= l) continue;
      d[l] -= shift;
      e[l] = g;
      e[m] = 0;
    }
  }
  return d;
}

/**
 * Shannon matrix entropy of one sequence's representation X [T, d] (Queipo-de-Llano et al. 2025,
 * eq. for H(X)): lambda = eigenvalues of X X^T / trace, H = -sum lambda ln lambda over lambda > 0,
 * returned divided by ln T (so 1 = isotropic, 0 = rank one).
 */
export function normalizedMatrixEntropy(x: ArrayLike<number>, T: number, d: number, offset = 0): number {
  const gram = new Float64Array(T * T);
  for (let i = 0; i < T; i++) {
    for (let j = i; j < T; j++) {
      let s = 0;
      for (let k = 0; k < d; k++) s += x[offset + i * d + k] * x[offset + j * d + k];
      gram[i * T + j] = s;
      gram[j * T + i] = s;
    }
  }
  let trace = 0;
  for (let i = 0; i < T; i++) trace += gram[i * T + i];
  if (!(trace > 0)) throw new Error('normalizedMatrixEntropy: the representation is all zeros');
  let entropy = 0;
  for (const ev of symmetricEigenvalues(gram, T)) {
    const lambda = ev / trace;
    if (lambda > 0) entropy -= lambda * Math.log(lambda);
  }
  return entropy / Math.log(T);
}
