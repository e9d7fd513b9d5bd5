import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TfjsModel, type HookName } from '../../src/index.js';
import { fixtureDir, fixtureNames } from '../fixtures.js';
import { attentionPairs, describeReadmeParity, expectGoldenMatch, goldenRun, hiddenStatePairs } from '../golden-parity.js';

/** Every fixture's diffs, for the README check at the end: {fixture: {tensor: diff}}. */
const allDiffs: Record<string, Record<string, number>> = {};

/** Parity with `transformers` v4.44.2 on every shared fixture: logits, every hidden state, every attention map. */
describe.each(fixtureNames())('tfjs forward matches transformers: %s', (fixture) => {
  let model: TfjsModel;
  const { expected, sequences } = goldenRun(fixture);
  let outputs: Map<HookName, { shape: readonly number[]; data: Float32Array }>;
  const diffs: Record<string, number> = {};
  allDiffs[fixture] = diffs;

  beforeAll(async () => {
    model = await TfjsModel.load(fixtureDir(fixture), { backend: 'wasm' });
    outputs = model.run(sequences, { capture: ['logits', ...[...hiddenStatePairs(model.arch), ...attentionPairs(model.arch)].map((p) => p.hook)] });
  });

  afterAll(() => {
    model?.dispose();
    console.log(`${fixture}: max scaled |diff| ${JSON.stringify(diffs)}`);
  });

  it('loads every checkpoint tensor', () => {
    expect(model.checkpoint.unusedTensors).toEqual([]);
  });

  it('logits', () => {
    expectGoldenMatch(outputs.get('logits'), expected.get('logits'), { golden: 'logits', label: 'logits' }, diffs);
  });

  it('every hidden state (transformers convention)', () => {
    for (const pair of hiddenStatePairs(model.arch)) expectGoldenMatch(outputs.get(pair.hook), expected.get(pair.golden), pair, diffs);
  });

  it('every attention map', () => {
    for (const pair of attentionPairs(model.arch)) expectGoldenMatch(outputs.get(pair.hook), expected.get(pair.golden), pair, diffs);
  });
});

describeReadmeParity('tfjs', allDiffs, fixtureNames().length);

describe('tensor hygiene', () => {
  it('a forward pass with captures and an intervention leaks no tensors', async () => {
    const model = await TfjsModel.load(fixtureDir('llama'), { backend: 'wasm' });
    try {
      const before = tf.memory().numTensors;
      for (let i = 0; i < 3; i++) {
        model.run([[1, 5, 9, 2], [1, 7, 3]], {
          capture: ['blocks.0.attn.hook_pattern', 'blocks.1.hook_resid_post', 'logits'],
          interventions: new Map([['blocks.0.hook_mlp_out', (x: tf.Tensor) => tf.mul(x, 0)]]),
        });
      }
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });
});
