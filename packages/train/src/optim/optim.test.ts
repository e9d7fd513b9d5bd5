import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { useBackend } from '../engine/backend.js';
import type { ModelParams } from '../model/params.js';
import { AdamW, DEFAULT_ADAMW, paramGroup, weightDecayOf } from './adamw.js';
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

  it('decay constant: warm-up, then the peak for good', () => {
    const c = { ...s, decay: 'constant' } as const;
    expect(learningRateAt(49, c)).toBeCloseTo(1.5e-3, 15);
    for (const step of [100, 1050, 2000, 5000]) expect(learningRateAt(step, c)).toBe(3e-3);
  });
});

describe('weight decay per parameter group', () => {
  it('groups embeddings (wte, wpe, an untied head), matrices and vectors; per-group coefficients override the default', () => {
    expect(['transformer.wte.weight', 'transformer.wpe.weight', 'lm_head.weight'].map((n) => paramGroup(n, [65, 8]))).toEqual(['embeddings', 'embeddings', 'embeddings']);
    expect(paramGroup('transformer.h.0.mlp.c_fc.weight', [8, 32])).toBe('matrices');
    expect(['transformer.h.0.ln_1.weight', 'transformer.sink_token', 'transformer.h.1.attn.sink_k'].map((n) => paramGroup(n, [8]))).toEqual(['vectors', 'vectors', 'vectors']);
    const recipe = { weightDecay: 0.5, decayOn: 'matrices', weightDecayByGroup: {} } as const;
    expect([weightDecayOf('transformer.wte.weight', [65, 8], recipe), weightDecayOf('transformer.h.0.attn.c_proj.bias', [8], recipe)]).toEqual([0.5, 0]);
    const byGroup = { ...recipe, weightDecayByGroup: { embeddings: 0, vectors: 0.1 } };
    expect([weightDecayOf('transformer.wte.weight', [65, 8], byGroup), weightDecayOf('transformer.h.0.mlp.c_fc.weight', [8, 32], byGroup), weightDecayOf('transformer.h.0.ln_2.bias', [8], byGroup)]).toEqual([0, 0.5, 0.1]);
  });

  it('AdamW decays each tensor by the coefficient of its group', () => {
    const params: ModelParams = new Map<string, tf.Variable>([
      ['transformer.wte.weight', tf.variable(tf.tensor2d([[2, -4]]), true, 'wte-groups')],
      ['transformer.h.0.ln_1.bias', tf.variable(tf.tensor1d([1, 3]), true, 'bias-groups')],
    ]);
    const opt = new AdamW(params, { ...DEFAULT_ADAMW, weightDecay: 0.5, weightDecayByGroup: { embeddings: 0.25, vectors: 1 }, clipNorm: 0 });
    const zero = { 'transformer.wte.weight': tf.zeros([1, 2]), 'transformer.h.0.ln_1.bias': tf.zeros([2]) };
    opt.step(zero, 0.1); // zero gradients: decay only
    [2 * 0.975, -4 * 0.975].forEach((x, i) => expect(params.get('transformer.wte.weight')!.dataSync()[i]).toBeCloseTo(x, 6)); // 1 - lr 0.25
    [0.9, 2.7].forEach((x, i) => expect(params.get('transformer.h.0.ln_1.bias')!.dataSync()[i]).toBeCloseTo(x, 6)); // 1 - lr 1
    tf.dispose(Object.values(zero));
    opt.dispose();
    params.forEach((p) => p.dispose());
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
