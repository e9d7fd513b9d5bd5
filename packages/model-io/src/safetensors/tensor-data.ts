import type { SafetensorsDtype } from './dtypes.js';

/** A tensor read from disk: float dtypes upcast to float32, integer dtypes widened to int32 or float64. */
export interface HostTensor<D extends Float32Array | Int32Array | Float64Array = Float32Array | Int32Array | Float64Array> {
  readonly name: string;
  /** The dtype stored in the file (before any upcast). */
  readonly storedDtype: SafetensorsDtype;
  readonly shape: readonly number[];
  readonly data: D;
}

export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}
