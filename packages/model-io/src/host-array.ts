import { derive } from './deferred-array.js';

/**
 * A float32 host array with its shape: what adapters read from a checkpoint and hand to an engine.
 * The operations below also accept a `DeferredArray` (deferred-array.ts) and then return one whose
 * recipe records the operation, computing nothing until its `data` is read.
 */
export interface HostArray {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** [rows, cols] -> [cols, rows]: HF linear weights are [out, in]; the forward pass wants [in, out]. */
export function transpose2d(a: HostArray): HostArray {
  const [rows, cols] = a.shape;
  return derive(a, [cols, rows], { op: 'transpose' }, (src) => {
    const out = new Float32Array(rows * cols);
    for (let r = 0; r < rows; r++) {
      const base = r * cols;
      for (let c = 0; c < cols; c++) out[c * rows + r] = src[base + c];
    }
    return out;
  });
}

/** Columns [start, start+count) of a [rows, cols] array. */
export function sliceColumns(a: HostArray, start: number, count: number): HostArray {
  const [rows, cols] = a.shape;
  return derive(a, [rows, count], { op: 'sliceColumns', start, count }, (src) => {
    const out = new Float32Array(rows * count);
    for (let r = 0; r < rows; r++) out.set(src.subarray(r * cols + start, r * cols + start + count), r * count);
    return out;
  });
}

/** Rows picked by index from a [rows, cols] (or [rows]) array. */
export function gatherRows(a: HostArray, rows: readonly number[]): HostArray {
  const cols = a.shape.length === 1 ? 1 : a.shape[1];
  return derive(a, a.shape.length === 1 ? [rows.length] : [rows.length, cols], { op: 'gatherRows', rows }, (src) => {
    const out = new Float32Array(rows.length * cols);
    rows.forEach((r, i) => out.set(src.subarray(r * cols, (r + 1) * cols), i * cols));
    return out;
  });
}

/** Elements [start, start+count) of a 1-D array. */
export function slice1d(a: HostArray, start: number, count: number): HostArray {
  return derive(a, [count], { op: 'slice1d', start, count }, (src) => src.slice(start, start + count));
}

export function addScalar(a: HostArray, s: number): HostArray {
  return derive(a, a.shape, { op: 'addScalar', value: s }, (src) => {
    const out = new Float32Array(src.length);
    for (let i = 0; i < out.length; i++) out[i] = src[i] + s;
    return out;
  });
}
