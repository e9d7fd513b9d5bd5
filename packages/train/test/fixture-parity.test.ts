import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { readSafetensors } from '@sinkscope/model-io';
import { checkReadmeRow, parityOutDir, PARITY_TOLERANCE, readReadme, summarizeParity, writeParityFigures } from '@sinkscope/model-io/testing';
import { useBackend } from '../src/engine/backend.js';
import { forward } from '../src/model/tfjs-forward.js';
import { loadModelFolder } from '../src/model/checkpoint.js';
import { disposeParams } from '../src/model/params.js';
import { HF_FIXTURES } from './fixture-path.js';

/** max |a - b| / max(1, max |b|): the parity bound of fixtures/hf/README.md. */
function scaledMaxDiff(actual: Float32Array, expected: Float32Array): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 1;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / scale;
}

describe('GPT-2 fixture parity (transformers v4.44.2 outputs)', () => {
  beforeAll(() => useBackend('wasm'));

  it('reproduces logits, every hidden state and every attention map to 5e-6 (scaled), as the README states', () => {
    const dir = join(HF_FIXTURES, 'gpt2');
    const { config, params } = loadModelFolder(dir);
    expect(config.activation).toBe('gelu_new');
    const expected = readSafetensors(join(dir, 'expected.safetensors')).tensors;
    const ids = expected.get('input_ids')!;
    const diffs = tf.tidy(() => {
      const out = forward(config, params, tf.tensor2d(ids.data as Int32Array, [ids.shape[0], ids.shape[1]], 'int32'), { hiddenStates: true, attentions: true });
      const result: Record<string, number> = { logits: scaledMaxDiff(out.logits.dataSync() as Float32Array, expected.get('logits')!.data as Float32Array) };
      out.hiddenStates.forEach((h, i) => (result[`hidden_states.${i}`] = scaledMaxDiff(h.dataSync() as Float32Array, expected.get(`hidden_states.${i}`)!.data as Float32Array)));
      out.attentions.forEach((a, l) => (result[`attentions.${l}`] = scaledMaxDiff(a.dataSync() as Float32Array, expected.get(`attentions.${l}`)!.data as Float32Array)));
      return result;
    });
    disposeParams(params);
    expect(Object.keys(diffs)).toHaveLength(1 + 4 + 3);
    for (const [name, diff] of Object.entries(diffs)) expect(diff, name).toBeLessThanOrEqual(PARITY_TOLERANCE);
    // the root README's parity row for this suite (generation mode writes it instead: npm run parity-figures)
    const figures = summarizeParity('train', { gpt2: diffs });
    console.log(`train: worst scaled max |diff| ${figures.worst} (${figures.where})`);
    if (parityOutDir() !== undefined) writeParityFigures(figures);
    else expect(checkReadmeRow(readReadme(), figures)).toBeUndefined();
  });
});
