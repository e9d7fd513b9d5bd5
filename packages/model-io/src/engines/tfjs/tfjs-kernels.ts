import * as tf from '@tensorflow/tfjs';

/**
 * The few tfjs calls whose fast or differentiable form depends on the job: the forward ops (TfjsOps)
 * run through one of these sets. `inferenceKernels` are plain tfjs; `trainingKernels` are what
 * training under tf.variableGrads needs on the wasm backend (tfjs 4.22), where
 * - gather has no gradient (its UnsortedSegmentSum is missing): embeddings are one-hot products and
 *   position rows a slice;
 * - batched matMul (rank > 2) runs through a plain loop at about 2 GFLOP/s: it runs as one depthwise
 *   convolution instead (XNNPACK, about 4x faster for attention-sized batches, same values);
 * - matMul's built-in gradient uses transposeA/B, which runs at 0.2-1.3 GFLOP/s against 20-25
 *   untransposed: the gradient multiplies explicitly transposed copies;
 * - exact GELU keeps only x for its backward pass (hand-written gradient Phi(x) + x phi(x)).
 */
export interface TfjsKernels {
  /** a [M,K] @ b [K,N]. */
  matMul2d(a: tf.Tensor, b: tf.Tensor): tf.Tensor;
  /** Batched a [...,M,K] @ b [...,K,N] with equal batch dims. */
  batchMatMul(a: tf.Tensor, b: tf.Tensor): tf.Tensor;
  /** Exact GELU x Phi(x) = x/2 (1 + erf(x / sqrt 2)). */
  geluErf(x: tf.Tensor): tf.Tensor;
  /** Rows `ids` [B,T] int32 of `table` [V,d]: [B,T,d]. */
  embeddingRows(table: tf.Tensor, ids: tf.Tensor2D): tf.Tensor;
  /** Rows offset..offset+count-1 of `table` [P,d]: [count,d]. */
  positionRows(table: tf.Tensor, offset: number, count: number): tf.Tensor;
}

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);

function geluErfValue(x: tf.Tensor): tf.Tensor {
  return tf.mul(tf.mul(x, tf.scalar(0.5)), tf.add(tf.scalar(1), tf.erf(tf.mul(x, tf.scalar(SQRT_HALF)))));
}

export const inferenceKernels: TfjsKernels = {
  matMul2d: (a, b) => tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D),
  batchMatMul: (a, b) => tf.matMul(a, b),
  geluErf: geluErfValue,
  embeddingRows: (table, ids) => tf.gather(table, ids),
  positionRows: (table, offset, count) => tf.gather(table, tf.range(offset, offset + count, 1, 'int32')),
};

/** Swap the last two axes (an explicit copy: see the kernel notes above). */
function transposeLast2(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}

/**
 * Batched a [C, M, K] @ b [C, K, N] -> [C, M, N] as one depthwise convolution: the batch becomes the
 * channel axis, each channel's "image" is a_c [M, K] and its N filters of width K are the columns of b_c.
 */
function batchedMatmulViaConv(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [C, M, K] = a.shape;
  const N = b.shape[2];
  const image = tf.reshape(tf.transpose(a, [1, 2, 0]), [1, M, K, C]) as tf.Tensor4D; // [1, M, K, C]
  const filter = tf.reshape(tf.transpose(b, [1, 0, 2]), [1, K, C, N]) as tf.Tensor4D; // [1, K, C, N]
  const out = tf.depthwiseConv2d(image, filter, 1, 'valid'); // [1, M, 1, C*N]
  return tf.transpose(tf.reshape(out, [M, C, N]), [1, 0, 2]) as tf.Tensor3D; // [C, M, N]
}

/** Forward product without gradient bookkeeping: 2-D matMul, or the convolution route for batches. */
function rawMatmul(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  if (a.rank === 2) return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  const batch = a.shape.slice(0, -2);
  const [M, K] = a.shape.slice(-2);
  const N = b.shape[b.rank - 1];
  const C = batch.reduce((x, y) => x * y, 1);
  const out = batchedMatmulViaConv(tf.reshape(a, [C, M, K]) as tf.Tensor3D, tf.reshape(b, [C, K, N]) as tf.Tensor3D);
  return tf.reshape(out, [...batch, M, N]);
}

/** a @ b (rank 2, or rank 3/4 with equal batch dims) whose gradient multiplies explicitly transposed copies. */
export const trainingMatmul: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [a, b, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  if (a.rank !== b.rank || a.shape.slice(0, -2).some((n, i) => n !== b.shape[i]) || a.shape[a.rank - 1] !== b.shape[b.rank - 2]) {
    throw new Error(`matmul: shapes [${a.shape}] and [${b.shape}] do not match`);
  }
  save([a, b]);
  return {
    value: rawMatmul(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sa, sb] = saved;
      return [rawMatmul(dy, transposeLast2(sb)), rawMatmul(transposeLast2(sa), dy)];
    },
  };
}) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** Exact GELU (Hendrycks & Gimpel 2016; torch `gelu`) with the hand-written gradient Phi(x) + x phi(x). */
export const trainingGeluErf: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.tidy(() => geluErfValue(x)),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx] = saved;
      const cdf = tf.mul(tf.add(tf.erf(tf.mul(sx, SQRT_HALF)), 1), 0.5);
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(sx), -0.5)), INV_SQRT_2PI);
      return [tf.mul(dy, tf.add(cdf, tf.mul(sx, pdf)))];
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;

export const trainingKernels: TfjsKernels = {
  matMul2d: trainingMatmul,
  batchMatMul: trainingMatmul,
  geluErf: trainingGeluErf,
  embeddingRows: (table, ids) => {
    const [B, T] = ids.shape;
    const oneHot = tf.cast(tf.oneHot(tf.reshape(ids, [B * T]), table.shape[0]), 'float32'); // [B*T, V]
    return tf.reshape(trainingMatmul(oneHot, table), [B, T, table.shape[1] as number]);
  },
  positionRows: (table, offset, count) => tf.slice(table, [offset, 0], [count, -1]),
};
