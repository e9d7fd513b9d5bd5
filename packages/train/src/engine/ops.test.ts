import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from './backend.js';
import { geluErf, geluTanh, matmul } from './ops.js';

beforeAll(() => useBackend('wasm'));

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('matmul (custom gradient, batched via depthwise convolution)', () => {
  for (const [label, aShape, bShape] of [
    ['2-D', [5, 7], [7, 3]],
    ['3-D', [4, 6, 5], [4, 5, 3]],
    ['4-D', [2, 3, 6, 4], [2, 3, 4, 6]],
  ] as const) {
    it(`${label}: value and both gradients equal tf.matMul's`, () => {
      tf.tidy(() => {
        const a = tf.randomNormal([...aShape], 0, 1, 'float32', 1);
        const b = tf.randomNormal([...bShape], 0, 1, 'float32', 2);
        const w = tf.randomNormal([...aShape.slice(0, -1), bShape[bShape.length - 1]], 0, 1, 'float32', 3);
        // A weighted sum makes the upstream gradient non-uniform.
        const ours = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(matmul(x, y), w)))([a, b]);
        const reference = tf.grads((x: tf.Tensor, y: tf.Tensor) => tf.sum(tf.mul(tf.matMul(x, y), w)))([a, b]);
        expect(maxAbsDiff(matmul(a, b), tf.matMul(a, b))).toBeLessThan(1e-5);
        expect(maxAbsDiff(ours[0], reference[0])).toBeLessThan(1e-5);
        expect(maxAbsDiff(ours[1], reference[1])).toBeLessThan(1e-5);
      });
    });
  }

  it('rejects mismatched shapes', () => {
    tf.tidy(() => {
      expect(() => matmul(tf.zeros([2, 3, 4]), tf.zeros([3, 4, 5]))).toThrow(/do not match/);
    });
  });
});

describe('activations', () => {
  it('geluErf matches x Phi(x) and its gradient Phi(x) + x phi(x) (reference values: Python math.erf in float64)', () => {
    // x * Phi(x) and Phi(x) + x * phi(x) at x = -3, -1, 0, 0.5, 2, with Phi(x) = (1 + erf(x / sqrt 2)) / 2.
    const xs = [-3, -1, 0, 0.5, 2];
    const value = [-0.0040496941, -0.1586552539, 0, 0.3457312306, 1.9544997361];
    const grad = [-0.0119456472, -0.0833154706, 0.5, 0.8674951247, 1.0852318011];
    tf.tidy(() => {
      const x = tf.tensor1d(xs);
      const y = geluErf(x).dataSync();
      const g = tf.grad((t: tf.Tensor) => tf.sum(geluErf(t)))(x).dataSync();
      xs.forEach((_, i) => {
        expect(y[i]).toBeCloseTo(value[i], 6);
        expect(g[i]).toBeCloseTo(grad[i], 6);
      });
    });
  });

  it('geluTanh is GPT-2 gelu_new', () => {
    tf.tidy(() => {
      const x = [-2, -0.5, 0.7, 3];
      const y = geluTanh(tf.tensor1d(x)).dataSync();
      x.forEach((v, i) => expect(y[i]).toBeCloseTo(0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3))), 6));
    });
  });
});
