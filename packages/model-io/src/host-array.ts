/** A float32 host array with its shape: what adapters read from a checkpoint and hand to an engine. */
export interface HostArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** [rows, cols] -> [cols, rows]: HF linear weights are [out, in]; the forward pass wants [in, out]. */
export function transpose2d(a: HostArray): HostArray {
  const [rows, cols] = a.shape;
  const out = new Float32Array(rows * cols);
  const src = a.data;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = src[base + c];
  }
  return { shape: [cols, rows], data: out };
}

/** Columns [start, start+count) of a [rows, cols] array. */
export function sliceColumns(a: HostArray, start: number, count: number): HostArray {
  const [rows, cols] = a.shape;
  const out = new Float32Array(rows * count);
  for (let r = 0; r < rows; r++) out.set(a.data.subarray(r * cols + start, r * cols + start + count), r * count);
  return { shape: [rows, count], data: out };
}

/** Rows picked by index from a [rows, cols] (or [rows]) array. */
export function gatherRows(a: HostArray, rows: readonly number[]): HostArray {
  const cols = a.shape.length === 1 ? 1 : a.shape[1];
  const out = new Float32Array(rows.length * cols);
  rows.forEach((r, i) => out.set(a.data.subarray(r * cols, (r + 1) * cols), i * cols));
  return { shape: a.shape.length === 1 ? [rows.length] : [rows.length, cols], data: out };
}

/** Elements [start, start+count) of a 1-D array. */
export function slice1d(a: HostArray, start: number, count: number): HostArray {
  return { shape: [count], data: a.data.slice(start, start + count) };
}

export function addScalar(a: HostArray, s: number): HostArray {
  const out = new Float32Array(a.data.length);
  for (let i = 0; i < out.length; i++) out[i] = a.data[i] + s;
  return { shape: a.shape, data: out };
}
