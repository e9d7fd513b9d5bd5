import { describe, expect, it } from 'vitest';
import { SeededFolds } from './folds.js';
import { choiceCorrect } from './multiple-choice.js';
import { probeAccuracy } from './probes.js';

describe('probeAccuracy (ml-logistic-regression, seeded stratified k-fold CV)', () => {
  it('separable classes are probed perfectly; labels carried by noise alone stay near chance', () => {
    // two Gaussian blobs in 6 dims, class 1 shifted by 4 along dim 2 (xorshift noise, fixed seed)
    let s = 12345;
    const rand = () => ((s ^= s << 13), (s ^= s >>> 17), (s ^= s << 5), (s >>> 0) / 4294967296 - 0.5);
    const n = 80;
    const d = 6;
    const labels = Array.from({ length: n }, (_, i) => i % 2);
    const x = new Float64Array(n * d).map((_, j) => rand() + (j % d === 2 && labels[Math.floor(j / d)] === 1 ? 4 : 0));
    const r = probeAccuracy(x, n, d, labels, { folds: 5, seed: 0, steps: 300, learningRate: 0.5 });
    expect(r.accuracy).toBe(1);
    expect(r.majority).toBe(0.5);
    expect(r.folds).toBe(5);
    const shuffled = labels.map((_, i) => ((i * 7919) >> 3) % 2);
    const noise = probeAccuracy(new Float64Array(n * d).map(rand), n, d, shuffled, { folds: 4, seed: 1, steps: 300, learningRate: 0.5 });
    expect(noise.accuracy).toBeLessThan(0.75);
    // the same seed gives the same numbers
    expect(probeAccuracy(x, n, d, labels, { folds: 5, seed: 0, steps: 300, learningRate: 0.5 })).toEqual(r);
  });

  it('three classes, one-vs-rest; a label missing from a training fold is an error naming it', () => {
    const labels = Array.from({ length: 30 }, (_, i) => i % 3);
    const x = Float64Array.from({ length: 30 * 3 }, (_, j) => (j % 3 === labels[Math.floor(j / 3)] ? 5 : 0) + ((j * 37) % 11) / 11);
    expect(probeAccuracy(x, 30, 3, labels, { folds: 3, seed: 2, steps: 300, learningRate: 0.5 }).accuracy).toBe(1);
    expect(() => probeAccuracy(new Float64Array(4), 4, 1, [0, 0, 0, 1], { folds: 2, seed: 0, steps: 10, learningRate: 0.5 })).toThrow(/lacks a label/);
  });

  it('folds are stratified and cover every example once', () => {
    const labels = [0, 0, 0, 0, 1, 1, 1, 1, 1, 1];
    const f = new SeededFolds(labels, 2, 7);
    const tests = [f.split(0).test, f.split(1).test];
    expect([...tests[0], ...tests[1]].sort((a, b) => a - b)).toEqual(labels.map((_, i) => i));
    for (const t of tests) expect(t.filter((i) => labels[i] === 0)).toHaveLength(2);
    expect(() => new SeededFolds(labels, 1, 0)).toThrow(/folds/);
  });
});

describe('choiceCorrect (lm-eval acc and acc_norm)', () => {
  it('acc takes the largest summed log-prob, acc_norm the largest per character', () => {
    const scores = [
      { logProb: -4, length: 8 }, // -0.5 per char
      { logProb: -3, length: 3 }, // -1 per char
    ];
    expect(choiceCorrect(scores, 1)).toEqual({ acc: true, accNorm: false });
    expect(choiceCorrect(scores, 0)).toEqual({ acc: false, accNorm: true });
    expect(choiceCorrect([{ logProb: -1, length: 1 }, { logProb: -1, length: 1 }], 0)).toEqual({ acc: true, accNorm: true }); // ties: first
  });
});
