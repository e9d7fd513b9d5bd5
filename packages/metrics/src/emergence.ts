function requireRatios(ratios: readonly number[]): void {
  ratios.forEach((r, i) => {
    if (Number.isNaN(r)) throw new RangeError(`ratios[${i}] is NaN`);
  });
}

/**
 * First hidden-state index whose first-token norm ratio exceeds `threshold` (strictly), or null
 * if none does. `ratios[i]` is normRatio of hidden state i (index 0 = embeddings).
 */
export function emergenceLayer(ratios: readonly number[], threshold = 10): number | null {
  requireRatios(ratios);
  const i = ratios.findIndex((r) => r > threshold);
  return i < 0 ? null : i;
}

/**
 * Hidden-state index i >= 1 with the largest increase ratios[i] - ratios[i-1] (the first one on a
 * tie), or null with fewer than two ratios. The ablation package's `auto` layer choice uses this.
 */
export function largestJump(ratios: readonly number[]): number | null {
  requireRatios(ratios);
  let best: number | null = null;
  let bestJump = -Infinity;
  for (let i = 1; i < ratios.length; i++) {
    const jump = ratios[i] - ratios[i - 1];
    if (jump > bestJump) {
      bestJump = jump;
      best = i;
    }
  }
  return best;
}
