/** Token representations as this package accepts them: X [T, d], row-major. */
export type Activations = Float32Array | Float64Array;

/** Throws unless T >= minTokens, d >= 1 and x holds exactly T * d finite values' worth of slots. */
export function requireMatrix(what: string, x: Activations, seqLen: number, dim: number, minTokens = 1): void {
  if (!Number.isInteger(seqLen) || seqLen < minTokens) {
    throw new RangeError(`${what}: T must be an integer >= ${minTokens}, got ${seqLen}`);
  }
  if (!Number.isInteger(dim) || dim < 1) throw new RangeError(`${what}: d must be an integer >= 1, got ${dim}`);
  if (x.length !== seqLen * dim) {
    throw new RangeError(`${what}: X has ${x.length} values but shape [T=${seqLen}, d=${dim}] needs ${seqLen * dim}`);
  }
}
