import { SeededRandom } from '@sinkscope/datasets';

/** Seeded Gaussian draws for the analytic tests (Box-Muller on (u + 1/2) / 2^32, never log 0). */
export function gaussian(seed: number): () => number {
  const r = SeededRandom.mulberry32(seed);
  const uniform = () => (r.nextUint32() + 0.5) / 4294967296;
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
