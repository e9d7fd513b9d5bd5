import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, inferenceKernels, trainingGeluErf as geluErf, trainingKernels, trainingMatmul as matmul } from '../../src/index.js';

beforeAll(() => initBackend('wasm'));

function maxAbsDiff(a: tf.Tensor, b: tf.Tensor): number {
  return tf.tidy(() => tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]);
}

describe('training kernels: matmul (custom gradient, batched via depthwise convolution)', () => {
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
});

describe('training kernels: embedding and position rows', () => {
  it('one-hot products and slices give gather\'s rows, and gradients gather has none of on wasm', () => {
    tf.tidy(() => {
      const table = tf.randomNormal([7, 3], 0, 1, 'float32', 4);
      const ids = tf.tensor2d([[6, 0, 2], [2, 2, 5]], [2, 3], 'int32');
      expect(maxAbsDiff(trainingKernels.embeddingRows(table, ids), inferenceKernels.embeddingRows(table, ids))).toBe(0);
      expect(maxAbsDiff(trainingKernels.positionRows(table, 2, 4), inferenceKernels.positionRows(table, 2, 4))).toBe(0);
      // d/dtable sum(rows * w): row r collects w of every position reading it (row 2 is read three times)
      const w = tf.randomNormal([2, 3, 3], 0, 1, 'float32', 5);
      const grad = tf.grad((t: tf.Tensor) => tf.sum(tf.mul(trainingKernels.embeddingRows(t, ids), w)))(table).arraySync() as number[][];
      const wv = w.arraySync() as number[][][];
      const row2 = [0, 1, 2].map((j) => wv[0][2][j] + wv[1][0][j] + wv[1][1][j]);
      row2.forEach((v, j) => expect(grad[2][j]).toBeCloseTo(v, 5));
      expect(grad[1]).toEqual([0, 0, 0]);
    });
  });
});
