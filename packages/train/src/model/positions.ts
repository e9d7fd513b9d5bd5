import { sinusoidalTable as sinusoidalHostTable } from '@sinkscope/model-io';
import * as tf from '@tensorflow/tfjs';

// Constant tables, built once per shape and kept for the process (they are not parameters).
const cache = new Map<string, tf.Tensor>();
function cached<T extends tf.Tensor>(key: string, build: () => T): T {
  let t = cache.get(key);
  if (!t) {
    t = tf.keep(build());
    cache.set(key, t);
  }
  return t as T;
}

/** Sinusoidal position table [T, d] (Vaswani et al. 2017, sec. 3.5): model-io's, as a kept tensor. */
export function sinusoidalTable(T: number, d: number): tf.Tensor2D {
  return cached(`sin:${T}:${d}`, () => tf.tensor2d(sinusoidalHostTable(T, d).data, [T, d]));
}

/**
 * RoPE tables (Su et al. 2021), half-split layout as Hugging Face `rotate_half`: cos, sin [T, 1, hd]
 * with inv_freq[j] = theta^(-2j/hd) duplicated as [f, f], and R [hd, hd] with x @ R = rotate_half(x)
 * = [-x2, x1] (a matmul instead of two slices and a concat).
 */
export function ropeTables(T: number, hd: number, theta: number): { cos: tf.Tensor3D; sin: tf.Tensor3D; rotateHalf: tf.Tensor2D } {
  const half = hd / 2;
  const angles = (fn: (x: number) => number) => {
    const data = new Float32Array(T * hd);
    for (let t = 0; t < T; t++) for (let i = 0; i < hd; i++) data[t * hd + i] = fn(t * Math.pow(theta, -(2 * (i % half)) / hd));
    return tf.tensor3d(data, [T, 1, hd]);
  };
  return {
    cos: cached(`cos:${T}:${hd}:${theta}`, () => angles(Math.cos)),
    sin: cached(`sinr:${T}:${hd}:${theta}`, () => angles(Math.sin)),
    rotateHalf: cached(`rot:${hd}`, () => {
      const r = new Float32Array(hd * hd);
      for (let j = 0; j < half; j++) {
        r[(j + half) * hd + j] = -1; // out[j] = -x[j + half]
        r[j * hd + j + half] = 1; //    out[j + half] = x[j]
      }
      return tf.tensor2d(r, [hd, hd]);
    }),
  };
}

/** ALiBi slopes m_h = 2^(-8 h / H), h = 1..H (Press et al. 2022, sec. 3; H a power of two). */
export function alibiSlopes(H: number): number[] {
  return Array.from({ length: H }, (_, h) => Math.pow(2, (-8 * (h + 1)) / H));
}

/** ALiBi score bias [H, T, T]: -m_h (t - s) on and below the diagonal, 0 above (masked anyway). */
export function alibiBias(H: number, T: number): tf.Tensor3D {
  return cached(`alibi:${H}:${T}`, () => {
    const slopes = alibiSlopes(H);
    const data = new Float32Array(H * T * T);
    for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let s = 0; s <= t; s++) data[(h * T + t) * T + s] = -slopes[h] * (t - s);
    return tf.tensor3d(data, [H, T, T]);
  });
}

/**
 * Causal mask [T, slots + T]: `visible` where query t may attend (the `slots` leading extra keys,
 * and keys s <= t), `hidden` above the diagonal. Additive (0 / -1e9) or multiplicative (1 / 0).
 */
export function causalMask(T: number, slots: number, visible: number, hidden: number): tf.Tensor2D {
  return cached(`causal:${T}:${slots}:${visible}:${hidden}`, () => {
    const width = slots + T;
    const data = new Float32Array(T * width);
    for (let t = 0; t < T; t++) for (let s = 0; s < width; s++) data[t * width + s] = s - slots > t ? hidden : visible;
    return tf.tensor2d(data, [T, width]);
  });
}
