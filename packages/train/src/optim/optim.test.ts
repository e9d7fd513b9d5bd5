import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../engine/backend.js';
import type { ModelParams } from '../model/params.js';
import { AdamW, DEFAULT_ADAMW } from './adamw.js';
import { learningRateAt } from './schedule.js';

beforeAll(() => useBackend('wasm'));

describe('learningRateAt', () => {
  const s = { peakLr: 3e-3, warmupSteps: 100, decaySteps: 2000, minLrRatio: 0.1, decay: 'cosine' } as const;
  it('warms up linearly, then follows the cosine to 0.1 x peak', () => {
    expect(learningRateAt(0, s)).toBeCloseTo(3e-5, 15);
    expect(learningRateAt(99, s)).toBeCloseTo(3e-3, 15);
    expect(learningRateAt(100, s)).toBeCloseTo(3e-3, 15);
    expect(learningRateAt(1050, s)).toBeCloseTo(0.3e-3 + 0.5 * 2.7e-3, 15); // half way: cos = 0
    expect(learningRateAt(2000, s)).toBeCloseTo(3e-4, 15);
    expect(learningRateAt(5000, s)).toBeCloseTo(3e-4, 15);
  });
});

describe('AdamW', () => {
  function setup(decayOn: 'matrices' | 'all', clipNorm: number) {
    const params: ModelParams = new Map<string, tf.Variable>([
      ['w', tf.variable(tf.tensor2d([[1, -2], [0.5, 4]]), true, `w-${decayOn}-${clipNorm}`)],
      ['b', tf.variable(tf.tensor1d([0.25, -1]), true, `b-${decayOn}-${clipNorm}`)],
    ]);
    return { params, opt: new AdamW(params, { ...DEFAULT_ADAMW, weightDecay: 0.5, decayOn, clipNorm }) };
  }

  it('first step: p <- p (1 - lr wd) - lr g / (|g| + eps), as torch.optim.AdamW', () => {
    const { params, opt } = setup('matrices', 0);
    const grads = { w: tf.tensor2d([[0.1, -0.2], [0, 3]]), b: tf.tensor1d([1, -0.5]) };
    const norm = opt.step(grads, 0.01);
    expect(norm).toBeCloseTo(Math.sqrt(0.01 + 0.04 + 9 + 1 + 0.25), 5);
    // Step 1: m_hat = g, v_hat = g^2, so the Adam step is lr * g / (|g| + eps) = lr * sign(g) for g != 0.
    const w = params.get('w')!.dataSync();
    const expectW = [1 * 0.995 - 0.01, -2 * 0.995 + 0.01, 0.5 * 0.995 - 0, 4 * 0.995 - 0.01];
    expectW.forEach((x, i) => expect(w[i]).toBeCloseTo(x, 6));
    const b = params.get('b')!.dataSync(); // no decay on 1-D tensors
    [0.25 - 0.01, -1 + 0.01].forEach((x, i) => expect(b[i]).toBeCloseTo(x, 6));
    tf.dispose(Object.values(grads));
    opt.dispose();
    params.forEach((p) => p.dispose());
  });

  it('second step uses bias-corrected moments; decayOn all decays biases; clipping scales gradients', () => {
    const { params, opt } = setup('all', 1);
    const g1 = { w: tf.tensor2d([[3, 0], [0, 0]]), b: tf.tensor1d([4, 0]) }; // norm 5 -> scaled by 1/5
    const g2 = { w: tf.tensor2d([[0.1, 0], [0, 0]]), b: tf.tensor1d([0, 0]) };
    expect(opt.step(g1, 0.1)).toBeCloseTo(5, 5);
    opt.step(g2, 0.1);
    // w[0][0]: g1 = 0.6 (clipped), g2 = 0.1. m2 = 0.9*0.1*0.6 + 0.1*0.1 = 0.064, v2 = 0.95*0.05*0.36 + 0.05*0.01 = 0.0176
    // m_hat = 0.064 / 0.19, v_hat = 0.0176 / 0.0975.
    const p1 = 1 * (1 - 0.05) - 0.1 * 1; // step 1: sign step
    const mHat = 0.064 / 0.19;
    const vHat = 0.0176 / 0.0975;
    const p2 = p1 * (1 - 0.05) - (0.1 * mHat) / (Math.sqrt(vHat) + 1e-8);
    expect(params.get('w')!.dataSync()[0]).toBeCloseTo(p2, 6);
    expect(params.get('b')!.dataSync()[1]).toBeCloseTo(-1 * 0.95 * 0.95, 6); // zero gradient, decay only
    tf.dispose([...Object.values(g1), ...Object.values(g2)]);
    opt.dispose();
    params.forEach((p) => p.dispose());
  });
});
