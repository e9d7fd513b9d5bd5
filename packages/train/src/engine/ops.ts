import * as tf from '@tensorflow/tfjs';

/** Swap the last two axes (explicit copy; see `matmul`). */
export function transposeLast2(x: tf.Tensor): tf.Tensor {
  const perm = x.shape.map((_, i) => i);
  const r = perm.length;
  [perm[r - 2], perm[r - 1]] = [perm[r - 1], perm[r - 2]];
  return tf.transpose(x, perm);
}

/**
 * Batched a [C, M, K] @ b [C, K, N] -> [C, M, N] as one depthwise convolution: the batch becomes the
 * channel axis, each channel's "image" is a_c [M, K] and its N filters of width K are the columns
 * of b_c. The wasm backend runs batched matMul through a plain loop (about 2 GFLOP/s) but depthwise
 * convolution through XNNPACK: 4x faster for attention-sized batches (T = 64, head 32), same numbers.
 */
function batchedMatmulViaConv(a: tf.Tensor3D, b: tf.Tensor3D): tf.Tensor3D {
  const [C, M, K] = a.shape;
  const N = b.shape[2];
  const image = tf.reshape(tf.transpose(a, [1, 2, 0]), [1, M, K, C]) as tf.Tensor4D; //      [1, M, K, C]
  const filter = tf.reshape(tf.transpose(b, [1, 0, 2]), [1, K, C, N]) as tf.Tensor4D; //   [1, K, C, N]
  const out = tf.depthwiseConv2d(image, filter, 1, 'valid'); //             [1, M, 1, C*N]
  return tf.transpose(tf.reshape(out, [M, C, N]), [1, 0, 2]) as tf.Tensor3D;//            [C, M, N]
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

/**
 * a @ b (rank 2, or rank 3/4 with equal batch dims) whose gradient multiplies by explicitly
 * transposed copies. tfjs's built-in gradient uses matMul(..., transposeA/B), which the wasm
 * backend runs 10-100x slower than a transpose followed by a plain matMul (tfjs 4.22: 0.2-1.3 GFLOP/s
 * against 20-25).
 */
export const matmul: (a: tf.Tensor, b: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
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

/** x [N, in] @ w [in, out] + b [out]: a GPT-2 Conv1D (weights stored [in, out]). */
export function conv1d(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor | undefined): tf.Tensor {
  const y = matmul(x, w);
  return b === undefined ? y : tf.add(y, b);
}

/** LayerNorm over the last axis, two-pass variance as torch (Ba et al. 2016). */
export function layerNorm(x: tf.Tensor, gain: tf.Tensor, bias: tf.Tensor, eps: number): tf.Tensor {
  const centred = tf.sub(x, tf.mean(x, -1, true));
  const variance = tf.mean(tf.square(centred), -1, true);
  return tf.add(tf.mul(tf.mul(centred, tf.rsqrt(tf.add(variance, eps))), gain), bias);
}

/** RMSNorm over the last axis: x / sqrt(mean(x^2) + eps) * gain (Zhang & Sennrich 2019). */
export function rmsNorm(x: tf.Tensor, gain: tf.Tensor, eps: number): tf.Tensor {
  return tf.mul(tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps))), gain);
}

const SQRT_HALF = Math.SQRT1_2;
const INV_SQRT_2PI = 1 / Math.sqrt(2 * Math.PI);
const GELU_TANH_C = Math.sqrt(2 / Math.PI);

/**
 * Exact GELU x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (Hendrycks & Gimpel 2016; torch `gelu`),
 * with a hand-written gradient Phi(x) + x phi(x) so backprop stores only x.
 */
export const geluErf: (x: tf.Tensor) => tf.Tensor = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
  save([x]);
  return {
    value: tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(tf.erf(tf.mul(x, SQRT_HALF)), 1))),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx] = saved;
      const cdf = tf.mul(tf.add(tf.erf(tf.mul(sx, SQRT_HALF)), 1), 0.5);
      const pdf = tf.mul(tf.exp(tf.mul(tf.square(sx), -0.5)), INV_SQRT_2PI);
      return [tf.mul(dy, tf.add(cdf, tf.mul(sx, pdf)))];
    },
  };
}) as (x: tf.Tensor) => tf.Tensor;

/** GPT-2's `gelu_new`: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))). */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  const inner = tf.mul(tf.add(x, tf.mul(tf.mul(tf.mul(x, x), x), 0.044715)), GELU_TANH_C);
  return tf.mul(tf.mul(x, 0.5), tf.add(tf.tanh(inner), 1));
}
