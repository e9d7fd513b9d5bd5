import * as ort from 'onnxruntime-node';
import type { BatchShape } from '../../interventions.js';

/** Everything a traced graph's inputs are computed from for one batch. */
export interface BatchContext extends BatchShape {
  /** [B*T] token ids, right-padded (graphs that start at the embeddings). */
  readonly ids?: Int32Array;
  /** [B*T*d] residual stream entering the graph (graphs that start at a block). */
  readonly residual?: Float32Array;
}

/** Builds one graph input's tensor for a batch. */
export type FeedMaker = (ctx: BatchContext) => ort.Tensor;

export function floatTensor(data: Float32Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('float32', data, dims);
}

export function int64Tensor(values: ArrayLike<number>, dims: readonly number[]): ort.Tensor {
  const data = new BigInt64Array(values.length);
  for (let i = 0; i < values.length; i++) data[i] = BigInt(values[i]);
  return new ort.Tensor('int64', data, dims);
}

export function boolTensor(values: Uint8Array, dims: readonly number[]): ort.Tensor {
  return new ort.Tensor('bool', values, dims);
}
