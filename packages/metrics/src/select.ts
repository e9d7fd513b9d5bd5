/**
 * Median of `values` (mean of the two middle values when the count is even; note torch.median
 * returns the lower one). Reorders `values` in place; expected O(n) by quickselect with a
 * three-way partition, so long runs of equal values (e.g. zeros) stay linear.
 */
export function medianInPlace(values: Float64Array): number {
  const n = values.length;
  if (n === 0) throw new RangeError('median of an empty array');
  const mid = (n - 1) >> 1;
  const lower = selectInPlace(values, mid);
  if (n % 2 === 1) return lower;
  // After selection every value right of `mid` is >= lower; the next order statistic is their min.
  let upper = Infinity;
  for (let i = mid + 1; i < n; i++) if (values[i] < upper) upper = values[i];
  return (lower + upper) / 2;
}

/** k-th smallest (0-based); afterwards values[k] holds it, smaller ones left, larger or equal right. */
export function selectInPlace(values: Float64Array, k: number): number {
  let lo = 0;
  let hi = values.length - 1;
  while (lo < hi) {
    const a = values[lo];
    const b = values[(lo + hi) >> 1];
    const c = values[hi];
    const pivot = a < b ? (b < c ? b : a < c ? c : a) : a < c ? a : b < c ? c : b;
    // Three-way partition: [lo, lt) < pivot, [lt, i) == pivot, (gt, hi] > pivot.
    let lt = lo;
    let gt = hi;
    let i = lo;
    while (i <= gt) {
      const v = values[i];
      if (v < pivot) {
        values[i++] = values[lt];
        values[lt++] = v;
      } else if (v > pivot) {
        values[i] = values[gt];
        values[gt--] = v;
      } else {
        i++;
      }
    }
    if (k < lt) hi = lt - 1;
    else if (k > gt) lo = gt + 1;
    else return pivot;
  }
  return values[k];
}

/** Index of the largest value; ties go to the first (numpy's argmax). -1 for an empty list. */
export function argmax(values: ArrayLike<number>): number {
  let best = values.length > 0 ? 0 : -1;
  for (let i = 1; i < values.length; i++) if (values[i] > values[best]) best = i;
  return best;
}
