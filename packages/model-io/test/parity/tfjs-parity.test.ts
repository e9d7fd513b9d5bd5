import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hiddenStateHooks, readSafetensors, TfjsModel, type HookName } from '../../src/index.js';
import { fixtureDir, fixtureNames, scaledMaxDiff } from '../fixtures.js';

const TOLERANCE = 1e-4;

/** Parity with `transformers` v4.44.2 on every shared fixture: logits, every hidden state, every attention map. */
describe.each(fixtureNames())('tfjs forward matches transformers: %s', (fixture) => {
  let model: TfjsModel;
  const expected = readSafetensors(`${fixtureDir(fixture)}/expected.safetensors`);
  const ids = expected.tensors.get('input_ids')!;
  const [batch, seqLen] = ids.shape;
  const sequences = Array.from({ length: batch }, (_, b) => Array.from(ids.data.subarray(b * seqLen, (b + 1) * seqLen)));
  let outputs: Map<HookName, { shape: readonly number[]; data: Float32Array }>;
  const diffs: Record<string, number> = {};

  beforeAll(async () => {
    model = await TfjsModel.load(fixtureDir(fixture), { backend: 'wasm' });
    const hidden = hiddenStateHooks(model.arch);
    const patterns = Array.from({ length: model.arch.nLayers }, (_, l) => `blocks.${l}.attn.hook_pattern` as HookName);
    outputs = model.run(sequences, { capture: ['logits', ...hidden, ...patterns] });
  });

  afterAll(() => {
    model?.dispose();
    console.log(`${fixture}: max scaled |diff| ${JSON.stringify(diffs)}`);
  });

  it('loads every checkpoint tensor', () => {
    expect(model.checkpoint.unusedTensors).toEqual([]);
  });

  it('logits', () => {
    const got = outputs.get('logits')!;
    const want = expected.tensors.get('logits')!;
    expect(got.shape).toEqual(want.shape);
    diffs.logits = scaledMaxDiff(got.data, want.data as Float32Array);
    expect(diffs.logits).toBeLessThanOrEqual(TOLERANCE);
  });

  it('every hidden state (transformers convention)', () => {
    hiddenStateHooks(model.arch).forEach((hook, i) => {
      const got = outputs.get(hook)!;
      const want = expected.tensors.get(`hidden_states.${i}`)!;
      expect(got.shape).toEqual(want.shape);
      const d = scaledMaxDiff(got.data, want.data as Float32Array);
      diffs[`hidden_states.${i}`] = d;
      expect(d, `hidden_states.${i} (${hook})`).toBeLessThanOrEqual(TOLERANCE);
    });
  });

  it('every attention map', () => {
    for (let l = 0; l < model.arch.nLayers; l++) {
      const got = outputs.get(`blocks.${l}.attn.hook_pattern`)!;
      const want = expected.tensors.get(`attentions.${l}`)!;
      expect(got.shape).toEqual(want.shape);
      const d = scaledMaxDiff(got.data, want.data as Float32Array);
      diffs[`attentions.${l}`] = d;
      expect(d, `attentions.${l}`).toBeLessThanOrEqual(TOLERANCE);
    }
  });
});

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
