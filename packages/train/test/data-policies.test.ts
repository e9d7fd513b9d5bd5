import { describe, expect, it } from 'vitest';
import { createTrainingData } from '../src/data/training-data.js';
import { lossWeights } from '../src/eval/evaluate.js';
import { heldOutRows, trainingRows } from '../src/training/batch-rows.js';
import { normaliseTrainConfig } from '../src/training/config.js';
import { tinyTrainConfig } from './tiny-config.js';

/** Gu et al. 2025, sec. 6 (data distribution): the row policies and the data amount cap. */
describe('row policies', () => {
  it('a fixed token sits at its position in every training and held-out row; the rest is the unchanged stream', () => {
    const plain = tinyTrainConfig();
    const fixed = tinyTrainConfig({ data: { sequenceLength: 17, heldOutSequences: 8, fixedToken: { position: 4, token: 9 } } });
    const source = createTrainingData(plain.data);
    const a = trainingRows(plain, source, 3);
    const b = trainingRows(fixed, createTrainingData(fixed.data), 3);
    const T = a.seqLen;
    for (let r = 0; r < plain.batchSize; r++) {
      for (let t = 0; t < T; t++) {
        const i = r * T + t;
        expect(b.inputs[i]).toBe(t === 4 ? 9 : a.inputs[i]);
        expect(b.targets[i]).toBe(t === 3 ? 9 : a.targets[i]); // the target of position 3 is token 4
      }
    }
    const held = heldOutRows(fixed, createTrainingData(fixed.data));
    for (let r = 0; r < held.count; r++) {
      expect(held.ids[r * held.length + 4]).toBe(9);
      expect(held.isCopyTarget[r * held.length + 4]).toBe(0);
    }
  });

  it('random first n tokens: positions 0..n-1 are ordinary ids drawn per row, the rest unchanged', () => {
    const plain = tinyTrainConfig();
    const random = tinyTrainConfig({ data: { sequenceLength: 17, heldOutSequences: 8, firstToken: 'random', randomFirstTokens: 3 } });
    const a = trainingRows(plain, createTrainingData(plain.data), 0);
    const b = trainingRows(random, createTrainingData(random.data), 0);
    const T = a.seqLen;
    const firsts = new Set<string>();
    for (let r = 0; r < plain.batchSize; r++) {
      expect(a.inputs[r * T]).toBe(64); // BOS in the plain stream
      for (let t = 0; t < 3; t++) expect(b.inputs[r * T + t]).toBeLessThan(64); // ordinary ids, no BOS
      for (let t = 3; t < T; t++) expect(b.inputs[r * T + t]).toBe(a.inputs[r * T + t]);
      firsts.add(Array.from(b.inputs.subarray(r * T, r * T + 3)).join(','));
    }
    expect(firsts.size).toBeGreaterThan(plain.batchSize / 2); // drawn per row
  });

  it('a cap on unique training tokens revisits the first rows of the unlimited stream, each pass in a new order', () => {
    const config = tinyTrainConfig({ data: { sequenceLength: 17, heldOutSequences: 8, uniqueTokens: 16 * 12 } }); // 12 rows of 16 tokens
    const capped = createTrainingData(config.data);
    const unlimited = createTrainingData(tinyTrainConfig().data);
    const row = (b: { ids: Int32Array; length: number }, i: number) => Array.from(b.ids.subarray(i * b.length, (i + 1) * b.length)).join(',');
    // the pool: rows 0..11 of the unlimited stream (steps 0 and 1 of batch 8)
    const pool = [0, 1].flatMap((step) => {
      const b = unlimited.trainingBatch(config.seed, step, 8);
      return Array.from({ length: 8 }, (_, i) => row(b, i));
    }).slice(0, 12);
    const seen: string[] = [];
    for (let step = 0; step < 6; step++) {
      const b = capped.trainingBatch(config.seed, step, 8);
      for (let i = 0; i < 8; i++) seen.push(row(b, i));
    }
    expect(seen.every((r) => pool.includes(r))).toBe(true);
    // 48 rows = 4 passes over the 12, each pass a permutation of the pool
    for (let pass = 0; pass < 4; pass++) expect([...seen.slice(pass * 12, (pass + 1) * 12)].sort()).toEqual([...pool].sort());
    expect(seen.slice(0, 12)).not.toEqual(seen.slice(12, 24));
    // a function of (seed, step) only: a fresh source gives the same batch of step 5
    expect(row(createTrainingData(config.data).trainingBatch(config.seed, 5, 8), 3)).toBe(row(capped.trainingBatch(config.seed, 5, 8), 3));
    // the held-out set is not capped
    expect(row(capped.heldOutSet(), 7)).toBe(row(unlimited.heldOutSet(), 7));
  });

  it('a prefix-LM counts the loss of the positions after the prefix only', () => {
    const config = tinyTrainConfig({ model: { nEmbd: 32, nLayer: 2, nHead: 2, prefixLength: 4 } });
    expect(Array.from(lossWeights(config.model, 8)!)).toEqual([0, 0, 0, 1, 1, 1, 1, 1]);
    expect(lossWeights(tinyTrainConfig().model, 8)).toBeUndefined();
  });

  it('bad policies are refused naming the field', () => {
    const data = (d: Record<string, unknown>) => () => normaliseTrainConfig({ data: { sequenceLength: 17, ...d } }, 'sweep.json');
    expect(data({ fixedToken: { position: 17, token: 3 } })).toThrow(/sweep\.json: data\.fixedToken .* must be \{ position: 0\.\.16/);
    expect(data({ fixedToken: { position: 2, token: 64 } })).toThrow(/data\.fixedToken\.token 64 must be an ordinary id below 64/);
    expect(data({ uniqueTokens: 0 })).toThrow(/'uniqueTokens' = 0 must be a positive integer/);
    expect(data({ firstToken: 'random', randomFirstTokens: 17 })).toThrow(/data\.randomFirstTokens 17 must be below the row length 17/);
    expect(() => normaliseTrainConfig({ optimizer: { weightDecayByGroup: { biases: 0 } } as never })).toThrow(/weightDecayByGroup: unknown field\(s\) 'biases'; valid: embeddings, matrices, vectors/);
    expect(() => normaliseTrainConfig({ schedule: { decay: 'linear' } as never })).toThrow(/schedule\.decay "linear" must be 'cosine' or 'constant'/);
    expect(() => normaliseTrainConfig({ optimizer: { eps: 1e-50 } })).toThrow(/eps 1e-50 must be a positive number representable in float32/);
    expect(normaliseTrainConfig({ optimizer: { eps: 1e-15 } }).optimizer.eps).toBe(1e-15);
    expect(() => normaliseTrainConfig({ model: { prefixLength: 64 } })).toThrow(/model\.prefixLength 64 leaves no position to predict after the prefix \(the model reads 64\)/);
    expect(() => normaliseTrainConfig({ model: { attentionFreeLayers: [2] } })).toThrow(/'attentionFreeLayers' = \[2\] must be a list of distinct block indices in 0\.\.1/);
  });
});
