/** Seeded Gaussian matrices for the analytic tests. */
export function gaussian(seed: number): () => number {
  let a = seed >>> 0;
  const uniform = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 0.5) / 4294967296;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

export function randomMatrix(rows: number, cols: number, seed: number): Float64Array {
  const g = gaussian(seed);
  return Float64Array.from({ length: rows * cols }, g);
}

/** Rows of unit norm (random directions). */
export function unitRows(rows: number, cols: number, seed: number): Float64Array {
  const x = randomMatrix(rows, cols, seed);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = 0; c < cols; c++) s += x[r * cols + c] ** 2;
    for (let c = 0; c < cols; c++) x[r * cols + c] /= Math.sqrt(s);
  }
  return x;
}
