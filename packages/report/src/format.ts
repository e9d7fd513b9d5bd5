// Cell formatting for the report's tables: lossless and short.

/**
 * Shortest decimal that reads back as the same value: for a value exactly representable in float32
 * (the artifact tables' measurement type) the shortest string that rounds to the same float32
 * (0.30000001192092896 -> "0.3"); for any other number the shortest float64 string (String(x)).
 */
export function formatNumber(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(x) || Math.fround(x) !== x) return String(x);
  for (let digits = 1; digits <= 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return String(candidate);
  }
  return String(x); // unreachable: 9 significant digits always identify a float32
}

/** Text of one table cell: '' for null/undefined, numbers via formatNumber, JSON for objects. */
export function formatCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'string') return value;
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? String(value);
}

/** True for cells that read as numbers (right-aligned in tables). */
export function isNumericCell(value: unknown): boolean {
  return typeof value === 'number' || typeof value === 'bigint';
}
